package capture

import (
	"io"
)

// prefetcher reads a stream ahead in a goroutine, in chunks, so that the
// read system calls and the copies out of the page cache (or gzip's
// decompression) run on another core while packets are decoded. A pcap
// record that lies within a chunk is handed out in place; only one that
// spans two chunks is copied. On a 1M-packet capture reading was a quarter
// of analyze's time (issue 12).
type prefetcher struct {
	full chan prefetchChunk
	free chan []byte
	stop chan struct{}

	cur     []byte // the unread part of the current chunk
	curBuf  []byte // the current chunk's buffer, to give back
	err     error  // how the stream ended, once its last chunk was taken
	scratch []byte // records that span chunks
}

type prefetchChunk struct {
	b   []byte
	err error // set on the last chunk: io.EOF or the error that ended the stream
}

const (
	prefetchChunkSize = 512 << 10
	prefetchDepth     = 2
)

func newPrefetcher(r io.Reader) *prefetcher {
	p := &prefetcher{
		full: make(chan prefetchChunk, prefetchDepth),
		free: make(chan []byte, prefetchDepth+1),
		stop: make(chan struct{}),
	}
	for range prefetchDepth + 1 {
		p.free <- make([]byte, prefetchChunkSize)
	}
	go p.run(r)
	return p
}

func (p *prefetcher) run(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.stop:
			return
		}
		n, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF // a short last chunk: the stream ended
		}
		select {
		case p.full <- prefetchChunk{b: buf[:n], err: err}:
		case <-p.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// next consumes n bytes and returns them, valid until the next call. At the
// end of the stream it returns what was left with io.EOF (nothing: a clean
// end; fewer than n: a cut), or the error that stopped the stream.
func (p *prefetcher) next(n int) ([]byte, error) {
	if len(p.cur) == 0 && !p.advance() {
		return nil, p.err
	}
	if len(p.cur) >= n {
		b := p.cur[:n:n]
		p.cur = p.cur[n:]
		return b, nil
	}
	// The record goes on in the next chunk (or the stream ends).
	p.scratch = append(p.scratch[:0], p.cur...)
	p.cur = nil
	for len(p.scratch) < n {
		if !p.advance() {
			return p.scratch, p.err
		}
		take := min(n-len(p.scratch), len(p.cur))
		p.scratch = append(p.scratch, p.cur[:take]...)
		p.cur = p.cur[take:]
	}
	return p.scratch[:n:n], nil
}

// advance makes the next chunk current; false at the end of the stream.
func (p *prefetcher) advance() bool {
	for {
		if p.err != nil {
			return false
		}
		if p.curBuf != nil {
			p.free <- p.curBuf[:cap(p.curBuf)]
			p.curBuf = nil
		}
		c := <-p.full
		p.curBuf, p.cur = c.b, c.b
		if c.err != nil {
			p.err = c.err
		}
		if len(c.b) > 0 || p.err != nil {
			return len(c.b) > 0
		}
	}
}

// close stops the goroutine (at its next chunk).
func (p *prefetcher) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
}
