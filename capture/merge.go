package capture

import (
	"errors"
	"io"
)

// mergedSource merges several file sources by timestamp with a linear
// minimum over the current head packet of each file (there are few files).
type mergedSource struct {
	srcs  []*fileSource
	heads []mergeHead
	// fill lists the sources whose head must be (re)loaded before the next
	// packet can be chosen: all of them at first, then the one whose packet
	// was returned last. next indexes the first one not loaded yet.
	fill    []int
	fillOne [1]int
	next    int
}

type mergeHead struct {
	pkt  Packet
	buf  []byte // owned copy of pkt.Data, reused
	live bool
}

func newMerged(srcs []*fileSource) *mergedSource {
	m := &mergedSource{srcs: srcs, heads: make([]mergeHead, len(srcs)), fill: make([]int, len(srcs))}
	for i := range m.fill {
		m.fill[i] = i
	}
	return m
}

// Next implements Source. A file's error is returned once, at the point
// where that file's stream broke; that file is then dropped and the next
// call goes on with the others.
func (m *mergedSource) Next() (*Packet, error) {
	for m.next < len(m.fill) {
		i := m.fill[m.next]
		m.next++
		h := &m.heads[i]
		h.live = false
		p, err := m.srcs[i].Next()
		if err != nil {
			if err == io.EOF {
				continue
			}
			return nil, err
		}
		// Own the data: it must stay valid while other files are read.
		h.buf = append(h.buf[:0], p.Data...)
		h.pkt = *p
		h.pkt.Data = h.buf
		h.live = true
	}
	best := -1
	for i := range m.heads {
		if m.heads[i].live && (best < 0 || m.heads[i].pkt.Time.Before(m.heads[best].pkt.Time)) {
			best = i
		}
	}
	if best < 0 {
		return nil, io.EOF
	}
	m.fillOne[0] = best
	m.fill, m.next = m.fillOne[:], 0
	return &m.heads[best].pkt, nil
}

// Close implements Source, closing every file.
func (m *mergedSource) Close() error {
	var errs []error
	for _, s := range m.srcs {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Stats implements StatsSource: one entry per file, in the order given.
func (m *mergedSource) Stats() []FileStats {
	var out []FileStats
	for _, s := range m.srcs {
		out = append(out, s.Stats()...)
	}
	return out
}
