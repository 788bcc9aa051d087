package ward

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// iso3166 holds the officially assigned ISO 3166-1 alpha-2 codes.
const iso3166 = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

var countries = func() map[string]bool {
	m := make(map[string]bool)
	for _, c := range strings.Fields(iso3166) {
		m[c] = true
	}
	return m
}()

// ValidCountry reports whether c is an assigned ISO 3166-1 alpha-2 code in
// upper case, such as "PH".
func ValidCountry(c string) bool { return countries[c] }

var tagPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidTag reports whether s is a well-formed sensitivity tag: lower case
// letters, digits and underscores, starting with a letter, at most 40 long.
func ValidTag(s string) bool { return tagPattern.MatchString(s) }

func validateCountries(field string, cs []string) error {
	seen := make(map[string]bool)
	for i, c := range cs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !ValidCountry(c) {
			return FieldErrorf(f, "%q is not an ISO 3166-1 alpha-2 country code such as US or PH.", c)
		}
		if seen[c] {
			return FieldErrorf(f, "Country %s is listed twice.", c)
		}
		seen[c] = true
	}
	return nil
}

func validateTags(field string, tags []string) error {
	seen := make(map[string]bool)
	for i, t := range tags {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !ValidTag(t) {
			return FieldErrorf(f, "%q is not a valid sensitivity tag (lower case letters, digits and _).", t)
		}
		if seen[t] {
			return FieldErrorf(f, "Tag %s is listed twice.", t)
		}
		seen[t] = true
	}
	return nil
}

func validateName(field, v string, max int) error {
	if strings.TrimSpace(v) == "" {
		return FieldErrorf(field, "%s is required.", field)
	}
	if len(v) > max {
		return FieldErrorf(field, "%s must be at most %d bytes.", field, max)
	}
	if strings.ContainsAny(v, "\x00\r\n") {
		return FieldErrorf(field, "%s must be a single line.", field)
	}
	return nil
}

func validateTimeZone(field, tz string) error {
	if tz == "" {
		return FieldErrorf(field, "%s is required (an IANA time zone such as Asia/Manila).", field)
	}
	if tz == "Local" {
		return FieldErrorf(field, "%s must name an IANA zone, not Local.", field)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return FieldErrorf(field, "%q is not an IANA time zone such as Asia/Manila.", tz)
	}
	return nil
}

func validateCIDRs(field string, cidrs []string) error {
	for i, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return FieldErrorf(fmt.Sprintf("%s[%d]", field, i), "%q is not a CIDR such as 203.0.113.0/24.", c)
		}
		if p.Masked() != p {
			return FieldErrorf(fmt.Sprintf("%s[%d]", field, i), "%q has host bits set; did you mean %s?", c, p.Masked())
		}
	}
	return nil
}

// MaxLimit is the largest page a list may return.
const MaxLimit = 500

// DefaultLimit is the page size when a filter sets none.
const DefaultLimit = 50

// Page is the paging part of every filter. Lists are ordered by ID, which
// is creation order.
type Page struct {
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// Normalize validates p and applies the default limit.
func (p *Page) Normalize() error {
	if p.Offset < 0 {
		return FieldErrorf("offset", "offset must not be negative.")
	}
	if p.Limit < 0 || p.Limit > MaxLimit {
		return FieldErrorf("limit", "limit must be between 1 and %d (0 means %d).", MaxLimit, DefaultLimit)
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	return nil
}
