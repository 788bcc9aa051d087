package ehrdemo_test

import (
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/wardhq/ward/ehrdemo"
)

// BenchmarkLoad parses the embedded data from scratch and reports the heap
// the dataset keeps alive (MB-retained).
//
//	go test -run '^$' -bench Load -benchmem ./ehrdemo/
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	var s *ehrdemo.Server
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		var err error
		if s, err = ehrdemo.NewUncached(ehrdemo.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB-retained")
	runtime.KeepAlive(s)
}

// BenchmarkNew measures a Server over the already-loaded, shared dataset.
func BenchmarkNew(b *testing.B) {
	if _, err := ehrdemo.New(ehrdemo.Options{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ehrdemo.New(ehrdemo.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	s, err := ehrdemo.New(ehrdemo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	pid := s.Patients()[0].ID
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/Observation?patient="+pid+"&category=vital-signs&date=ge2010&_count=50", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
