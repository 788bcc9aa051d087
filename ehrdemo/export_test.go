package ehrdemo

// Hooks for the external tests in package ehrdemo_test.

// NewUncached returns a Server over a freshly parsed copy of the embedded
// data, bypassing the per-process cache, so tests can compare two loads.
func NewUncached(opts Options) (*Server, error) {
	d, err := loadDataset(dataFS)
	if err != nil {
		return nil, err
	}
	return newServer(opts, d)
}

// ICD10Map returns the curated SNOMED CT → ICD-10-CM map as code → [icd, display].
func ICD10Map() map[string][2]string {
	out := map[string][2]string{}
	for k, v := range icd10 {
		out[k] = [2]string{v.Code, v.Display}
	}
	return out
}

// SensitiveICD10 returns the ICD-10-CM codes of the generated sensitive cases
// that have no SNOMED CT code (so are not in ICD10Map).
func SensitiveICD10() map[string]string {
	out := map[string]string{}
	for _, c := range sensitiveCases {
		if c.icd.Code != "" {
			out[c.icd.Code] = c.icd.Display
		}
	}
	return out
}

// UnmappedSNOMED lists condition codes deliberately left without ICD-10-CM.
var UnmappedSNOMED = unmappedSNOMED
