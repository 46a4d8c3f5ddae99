package decode

// GeneralOnly turns the fast path off, so that tests can compare the two
// paths.
func GeneralOnly(d *Decoder) { d.slow = true }

// FastFrames is how many frames the fast path decoded.
func FastFrames(d *Decoder) int { return d.fastFrames }
