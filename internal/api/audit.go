package api

import (
	"net/http"

	"github.com/vigil-fraud/vigil/internal/audit"
)

// record appends the audit entry of a change that happened. A failure does not undo the
// change nor fail the request (see the package documentation): it is logged at error level
// with the action, never the details.
func (s *Server) record(r *http.Request, action, target string, details any) {
	_, err := s.o.Audit.Append(r.Context(), audit.Event{Actor: actor(r), Action: action, Target: target, Details: details})
	if err != nil {
		s.log.Error("audit append failed after the change was made; record it by hand",
			logKeyRequestID, requestID(r), logKeyAction, action, logKeyError, err)
	}
}
