package ward_test

import (
	"testing"

	"github.com/wardhq/ward"
)

func TestAgeOn(t *testing.T) {
	birth := ward.Date{Year: 1990, Month: 3, Day: 2}
	for _, test := range []struct {
		on   ward.Date
		want int
	}{
		{ward.Date{Year: 2026, Month: 3, Day: 1}, 35},
		{ward.Date{Year: 2026, Month: 3, Day: 2}, 36},
		{ward.Date{Year: 2026, Month: 2, Day: 28}, 35},
		{ward.Date{Year: 1990, Month: 3, Day: 2}, 0},
		{ward.Date{Year: 1989, Month: 1, Day: 1}, 0},
	} {
		if got := ward.AgeOn(birth, test.on); got != test.want {
			t.Errorf("AgeOn(%s, %s)=%d, want %d", birth, test.on, got, test.want)
		}
	}
}
