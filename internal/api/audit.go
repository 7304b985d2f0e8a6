package api

import (
	"context"
	"net/http"
	"time"

	"github.com/vigil-fraud/vigil/internal/audit"
)

// record appends the audit entry of a change that happened. A failure does not undo the
// change nor fail the request (see the package documentation): it is logged at error level
// with the action, never the details. The append outlives the client: a client that hangs
// up after the change must not leave it unrecorded.
func (s *Server) record(r *http.Request, action, target string, details any) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	_, err := s.o.Audit.Append(ctx, audit.Event{Actor: actor(r), Action: action, Target: target, Details: details})
	if err != nil {
		s.log.Error("audit append failed after the change was made; record it by hand",
			logKeyRequestID, requestID(r), logKeyAction, action, logKeyError, err)
	}
}
