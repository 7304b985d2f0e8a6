package api

import (
	"net/http"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/model"
)

type modelsJSON struct {
	Serving string                `json:"serving"`
	Active  string                `json:"active"`
	Models  []model.RegistryEntry `json:"models"`
	Broken  []string              `json:"broken"`
}

var errNoRegistry = &httpError{status: http.StatusServiceUnavailable, code: codeUnavailable,
	message: "no model registry is configured"}

// listModels lists the registered models, newest first, with the version being served and
// the one recorded as active.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	if s.o.Models == nil {
		return errNoRegistry
	}
	entries, broken, err := s.o.Models.List()
	if err != nil {
		return err
	}
	active, err := s.o.Models.Active()
	if err != nil {
		return err
	}
	out := modelsJSON{Active: active, Models: entries, Broken: broken}
	if f := s.o.Pipeline.Model(); f != nil {
		out.Serving = f.Version()
	}
	if out.Models == nil {
		out.Models = []model.RegistryEntry{}
	}
	if out.Broken == nil {
		out.Broken = []string{}
	}
	return writeJSON(w, http.StatusOK, out)
}

type promotion struct {
	Version  string `json:"version"`
	Previous string `json:"previous"`
}

// promoteModel serves a registered model from the next transaction on and records it as
// the active one. An unknown version is 404, a model whose features are not the engine's
// (or whose file fails its checks) 422; both leave the model in force.
func (s *Server) promoteModel(w http.ResponseWriter, r *http.Request) error {
	if s.o.Models == nil {
		return errNoRegistry
	}
	version := r.PathValue("version")
	f, err := s.o.Models.Load(version)
	if err != nil {
		return err
	}
	// One promotion at a time: two interleaved ones could leave the pipeline serving one
	// version while the registry records the other as active, and a restart would switch.
	s.promoting.Lock()
	defer s.promoting.Unlock()
	prev := s.o.Pipeline.Model()
	if err := s.o.Pipeline.SetModel(f); err != nil {
		return err
	}
	if err := s.o.Models.SetActive(version); err != nil {
		if prev != nil {
			if undo := s.o.Pipeline.SetModel(prev); undo != nil {
				s.log.Error("restoring the previous model failed", logKeyRequestID, requestID(r), logKeyError, undo)
			}
		}
		return err
	}
	out := promotion{Version: version}
	if prev != nil {
		out.Previous = prev.Version()
	}
	s.record(r, audit.ActionModelPromote, version, map[string]any{"previous": out.Previous})
	return writeJSON(w, http.StatusOK, out)
}
