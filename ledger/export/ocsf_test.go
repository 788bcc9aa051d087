package export_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/wardhq/ward/ledger/export"
)

func encodeOCSF(t *testing.T, index uint64, name string) map[string]any {
	t.Helper()
	e := sample(t, name)
	var buf bytes.Buffer
	enc, _ := export.NewEncoder(&buf, export.FormatOCSF, export.Options{})
	if err := enc.Encode(index, &e); err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(buf.Bytes(), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestOCSF_Classes checks the class and activity of each kind of event and
// that the attributes the class requires are present.
func TestOCSF_Classes(t *testing.T) {
	base := []string{"activity_id", "category_uid", "class_uid", "metadata", "severity_id", "time", "type_uid"}
	for _, test := range []struct {
		sample     string
		class      float64
		activity   float64
		status     float64
		required   []string
		resourceID string
	}{
		{"ReadPermit", 6003, 2, 1, []string{"actor", "api", "src_endpoint"}, "Observation/obs-9"},
		{"SearchPermit", 6003, 2, 1, []string{"actor", "api", "src_endpoint"}, ""},
		{"ReadDeny", 6003, 2, 2, []string{"actor", "api", "src_endpoint"}, ""},
		{"SearchSystem", 6003, 2, 2, []string{"actor", "api", "src_endpoint"}, ""},
		{"Login", 3002, 1, 1, []string{"user", "service"}, ""},
		{"LoginFailed", 3002, 1, 2, []string{"user", "service"}, ""},
		{"Logout", 3002, 2, 1, []string{"user", "service"}, ""},
		{"SessionRevoked", 3002, 2, 1, []string{"user", "service"}, ""},
		{"SCIMUserCreated", 3001, 1, 1, []string{"user"}, ""},
		{"WorkerSuspended", 3001, 5, 1, []string{"user"}, ""},
		{"GrantIssued", 3005, 1, 1, []string{"user"}, ""},
		{"GrantRevoked", 3005, 2, 1, []string{"user"}, ""},
		{"AlertRaised", 2004, 1, 1, []string{"finding_info"}, ""},
		{"AlertResolved", 2004, 3, 4, []string{"finding_info"}, ""},
		{"TaskTransition", 3004, 3, 1, []string{"entity"}, ""},
		{"VendorCreated", 3004, 1, 1, []string{"entity"}, ""},
		{"PolicyChanged", 3004, 3, 1, []string{"entity"}, ""},
		{"Minimal", 3004, 99, 1, []string{"entity"}, ""},
	} {
		t.Run(test.sample, func(t *testing.T) {
			o := encodeOCSF(t, 99, test.sample)
			for _, k := range append(base, test.required...) {
				if _, ok := o[k]; !ok {
					t.Errorf("missing required attribute %q", k)
				}
			}
			if got, want := o["class_uid"], test.class; got != want {
				t.Errorf("class_uid=%v, want %v", got, want)
			}
			if got, want := o["activity_id"], test.activity; got != want {
				t.Errorf("activity_id=%v, want %v", got, want)
			}
			if got, want := o["type_uid"], test.class*100+test.activity; got != want {
				t.Errorf("type_uid=%v, want %v", got, want)
			}
			if got, want := o["category_uid"], float64(int(test.class)/1000); got != want {
				t.Errorf("category_uid=%v, want %v", got, want)
			}
			if got, want := o["status_id"], test.status; got != want {
				t.Errorf("status_id=%v, want %v", got, want)
			}
			md := o["metadata"].(map[string]any)
			if md["sequence"] != float64(99) || md["uid"] != "99" || md["version"] != export.OCSFVersion {
				t.Errorf("metadata=%v, want sequence and uid 99, version %s", md, export.OCSFVersion)
			}
			if p, ok := md["product"].(map[string]any); !ok || p["name"] != "ward" || p["vendor_name"] != "ward" {
				t.Errorf("metadata.product=%v", md["product"])
			}
		})
	}
}

func TestOCSF_Endpoints(t *testing.T) {
	o := encodeOCSF(t, 1, "LoginFailed")
	src, _ := o["src_endpoint"].(map[string]any)
	if src["ip"] != "2001:db8::1" || src["location"].(map[string]any)["country"] != "PH" {
		t.Errorf("src_endpoint=%v, want 2001:db8::1 in PH", src)
	}
	if o["status_detail"] != "bad_totp" {
		t.Errorf("status_detail=%v, want bad_totp", o["status_detail"])
	}
	o = encodeOCSF(t, 1, "ReadPermit")
	um := o["unmapped"].(map[string]any)
	if um["purpose_of_use"] != "HPAYMT" || um["task_id"] != "tsk_1" || um["grant_id"] != "gr_1" {
		t.Errorf("unmapped=%v", um)
	}
}
