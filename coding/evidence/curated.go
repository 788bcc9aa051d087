package evidence

// ward's own triggers, added to the NegEx/ConText files. Each group says why.

// relatives are ConText "experiencer" triggers: a condition after them
// belongs to someone else, reported as "family". ConText's experiencer
// lexicon is not among the files ward ships, so these are curated. A spouse
// is not family history for coding (no Z80-Z84 code) but is not the patient
// either.
var relatives = []string{"husband", "wife", "spouse", "partner",
	"mother", "mom", "father", "dad", "brother", "brothers", "sister", "sisters", "sibling", "siblings",
	"grandmother", "grandfather", "grandparent", "grandparents", "aunt", "uncle", "cousin", "son", "sons",
	"daughter", "daughters", "parent", "parents", "twin", "relative", "relatives",
}

func (b *builder) addCurated() {
	pre := func(cat category, window uint8, phrases ...string) {
		for _, p := range phrases {
			b.add(p, kind{cat, rolePre, window})
		}
	}
	post := func(cat category, phrases ...string) {
		for _, p := range phrases {
			b.add(p, kind{cat, rolePost, postWindow})
		}
	}
	pseudo := func(phrases ...string) {
		for _, p := range phrases {
			b.add(p, kind{catFam, rolePseudo, 0})
		}
	}
	term := func(cat category, phrases ...string) {
		for _, p := range phrases {
			b.add(p, kind{cat, roleTerm, 0})
		}
	}

	// Family (experiencer). Pre-triggers: "mother with diabetes", "family
	// history of colon cancer". Post-triggers: "colon cancer in his father".
	pre(catFam, preWindow, "family history", "family history of", "family hx", "fhx", "fh of", "family member", "family members",
		"maternal", "paternal", "runs in the family")
	pre(catFam, preWindow, relatives...)
	for _, r := range relatives {
		post(catFam, "in "+r, "in his "+r, "in her "+r, "in their "+r, "in the "+r, "in a "+r, "in both "+r)
	}
	post(catFam, "in the family", "runs in the family", "in family")
	// A relative who reports what the patient has is not the experiencer:
	// "Mother reports fever for two days."
	pseudo("per mother", "per father", "per mom", "per dad", "per parents", "mother reports", "father reports",
		"mother states", "father states", "mom reports", "dad reports", "parents report", "parents state",
		"accompanied by", "brought in by", "according to", "mother at bedside", "family at bedside",
		"mother is concerned", "parents are concerned", "family history and", "family history was reviewed",
		"family history reviewed", "family history is noncontributory", "family history noncontributory")
	term(catFam, "reports", "states", "says", "notes", "patient", "pt", "the patient", "he", "she", "but", "however",
		"although", "himself", "herself", "today", "currently", "presents")

	// Negation the NegEx list lacks: "never smoker", "strep test negative",
	// "edema absent".
	pre(catNeg, preWindow, "never", "negative", "neg for", "no history of", "no known", "no prior", "denied")
	post(catNeg, "negative", "absent", "not present", "not seen", "not identified", "not detected", "not found",
		"denied", "was negative", "were negative", "is negative", "are negative", "resolved")
	// Words that start a new assertion end a negation: "denies fever, reports cough".
	term(catNeg, "positive for", "reports", "endorses", "admits to", "complains of", "presents with", "has", "had",
		"which", "now")

	// Uncertainty: outpatient coding does not code "probable", "suspected",
	// "possible" or "rule out" diagnoses (ICD-10-CM Official Guidelines IV.H).
	pre(catHyp, preWindow, "likely", "most likely", "possible", "possibly", "probable", "probably", "suspected", "suspect", "suspicion of",
		"suspicion for", "concern for", "concerning for", "questionable", "question of", "risk of", "risk for",
		"at risk for", "screening for", "screen for", "prevent", "to prevent", "prevention of", "prophylaxis",
		"in case of", "watch for", "monitor for", "may develop", "consider", "considered", "differential includes",
		"differential diagnosis includes", "worried about", "evaluation for", "workup for", "work up for",
		"should", "in the event of", "precautions for")
	post(catHyp, "suspected", "is suspected", "was suspected", "is possible", "cannot be excluded", "not excluded",
		"is likely", "was considered", "is considered", "precautions")
	term(catHyp, "but", "however", "although", "now", "today", "currently", "reports", "has", "presents")

	// History: former states and the past.
	pre(catHist, preWindow, "former", "formerly", "previous", "previously", "past history of", "remote", "h/o", "hx of",
		"in the past", "quit", "personal history of", "recovered from", "childhood")
	// "cough following an upper respiratory infection": the infection is past.
	pre(catHist, 4, "following", "after a recent", "after an episode of", "recovering from")
	post(catHist, "in the past", "years ago", "months ago", "previously", "as a child", "in childhood", "in remission")
	term(catHist, "now", "new", "active", "ongoing", "current", "but", "however", "although", "is seen", "is here",
		"returns")
}
