package classify

import "reflect"

// NoRareIsZero reports whether the shared read-only zero value of SA.x was
// left alone; the external tests check it after running every capture.
func NoRareIsZero() bool { return reflect.ValueOf(noRare).IsZero() }
