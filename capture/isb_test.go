package capture

import (
	"os"
	"testing"
	"time"
)

// TestISBEndTime reads the capture end time that dumpcap writes into its
// interface statistics block.
func TestISBEndTime(t *testing.T) {
	name := "../testdata/gen/captures/v1_no_response.pcapng"
	if _, err := os.Stat(name); err != nil {
		t.Skip("generated captures absent")
	}
	src, err := OpenFile(name)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		if _, err := src.Next(); err != nil {
			break
		}
	}
	st := Stats(src)[0]
	if st.End.IsZero() {
		t.Fatal("no end time read from the interface statistics block")
	}
	if st.End.Before(st.Last) || st.End.Sub(st.Last) > time.Minute {
		t.Errorf("end %v, last packet %v: end should follow the last packet closely", st.End, st.Last)
	}
}

func TestTSTime(t *testing.T) {
	for _, c := range []struct {
		ts    uint64
		resol uint8
		want  time.Time
		ok    bool
	}{
		{1_700_000_000_123_456, 6, time.Unix(1_700_000_000, 123_456_000), true},
		{1_700_000_000_123_456_789, 9, time.Unix(1_700_000_000, 123_456_789), true},
		{1_700_000_000 << 10, 0x80 | 10, time.Unix(1_700_000_000, 0), true},
		{1, 20, time.Time{}, false},
		{1, 0x80 | 64, time.Time{}, false},
		{^uint64(0), 0, time.Time{}, false},
	} {
		got, ok := tsTime(c.ts, c.resol)
		if ok != c.ok || (ok && !got.Equal(c.want)) {
			t.Errorf("tsTime(%d, %#x) = %v, %v; want %v, %v", c.ts, c.resol, got, ok, c.want, c.ok)
		}
	}
}
