package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"slices"
	"time"
)

// spool keeps each finished IKE SA rendered (its text block or JSON
// element) instead of the SA itself, so that analyze's memory follows the
// SAs still open, not all the SAs of the capture: the output lists them in
// order of start only at the end. Rendered SAs stay in memory up to
// spoolMem bytes, and beyond that go to a temporary file, removed on close.
type spool struct {
	mem   bytes.Buffer
	file  *os.File
	size  int64 // bytes in file
	items []spoolItem
	err   error
	buf   []byte
	fw    *bufio.Writer // over file; flushed before the first read
}

// spoolMem is how much rendered output is kept in memory before the spool
// moves to a temporary file.
var spoolMem = 4 << 20

type spoolItem struct {
	started time.Time
	id      int
	inFile  bool
	off     int64
	n       int
}

// add keeps b, rendered from the SA with the given start and ID.
func (s *spool) add(started time.Time, id int, b []byte) {
	if s.err != nil {
		return
	}
	it := spoolItem{started: started, id: id, n: len(b)}
	if s.file == nil && s.mem.Len()+len(b) > spoolMem {
		s.file, s.err = os.CreateTemp("", "ikescope-spool-*")
		if s.err != nil {
			return
		}
		// Unlinked at once where the system allows (not on Windows), so
		// that nothing is left behind even if the run is killed; close
		// removes it otherwise.
		os.Remove(s.file.Name())
	}
	if s.file != nil {
		if s.fw == nil {
			s.fw = bufio.NewWriterSize(s.file, 256<<10)
		}
		it.inFile, it.off = true, s.size
		if _, s.err = s.fw.Write(b); s.err != nil {
			return
		}
		s.size += int64(len(b))
	} else {
		it.off = int64(s.mem.Len())
		s.mem.Write(b)
	}
	s.items = append(s.items, it)
}

// sorted puts the items in the order of Tracker.Results: by start, then ID.
func (s *spool) sorted() {
	slices.SortStableFunc(s.items, func(a, b spoolItem) int {
		if c := a.started.Compare(b.started); c != 0 {
			return c
		}
		return a.id - b.id
	})
}

// read returns item i's bytes (after sorted), valid until the next read.
func (s *spool) read(i int) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	it := s.items[i]
	if s.fw != nil {
		if s.err = s.fw.Flush(); s.err != nil {
			return nil, s.err
		}
		s.fw = nil
	}
	if !it.inFile {
		return s.mem.Bytes()[it.off : it.off+int64(it.n)], nil
	}
	s.buf = slices.Grow(s.buf[:0], it.n)[:it.n]
	if _, err := s.file.ReadAt(s.buf, it.off); err != nil && err != io.EOF {
		return nil, err
	}
	return s.buf, nil
}

func (s *spool) close() {
	if s.file != nil {
		name := s.file.Name()
		s.file.Close()
		os.Remove(name)
	}
}
