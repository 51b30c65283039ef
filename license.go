// Package sexton holds what belongs to the project as a whole; the init
// itself lives in supervise, its command line in cli and cmd/sexton.
package sexton

import _ "embed"

// License is the text of the project's licence, printed by `sexton -l`.
//
//go:embed LICENSE
var License string
