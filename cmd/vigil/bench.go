package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-fraud/vigil/internal/config"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

func init() {
	register(command{
		name:    "bench",
		summary: "load-test a scoring endpoint over HTTP (or serve the bare yardstick handler)",
		run:     runBench,
	})
}

const benchExample = `vigil bench --url http://127.0.0.1:8080/v1/score --key "$KEY" --duration 10s --connections 64
vigil bench --url http://127.0.0.1:8080/v1/score --key "$KEY" --rate 5000 --duration 10s
vigil bench --bare-server 127.0.0.1:8090`

// benchReport is `vigil bench --json`'s output.
type benchReport struct {
	URL         string         `json:"url"`
	IDs         string         `json:"ids"` // ordered or random transaction ids
	Connections int            `json:"connections"`
	Rate        float64        `json:"target_rate,omitempty"` // 0: as fast as answers come
	Seconds     float64        `json:"seconds"`
	Requests    int64          `json:"requests"`
	OK          int64          `json:"ok"`
	Statuses    map[string]int `json:"statuses"` // status code (or "error") -> count
	Throughput  float64        `json:"requests_per_second"`
	P50Micros   float64        `json:"p50_us"`
	P90Micros   float64        `json:"p90_us"`
	P99Micros   float64        `json:"p99_us"`
	MaxMicros   float64        `json:"max_us"`
	// Open loop: the 99th percentile of how late senders that waited for their slot woke (the
	// client's own delay, left out of the latencies above; see pacer.slot).
	WokeLateP99Micros float64 `json:"woke_late_p99_us,omitempty"`
	// With --verify: acknowledged decisions sent again after the run, and how many of those
	// did not come back as the stored decision.
	Verified     int `json:"verified,omitempty"`
	VerifyFailed int `json:"verify_failed,omitempty"`
}

func runBench(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "bench", "--url URL --key KEY [flags] | --bare-server ADDR", benchExample)
	key := fs.String("key", "", "API key with the scorer role (or VIGIL_BENCH_KEY, VIGIL_BENCH_KEY_FILE)")
	url := fs.String("url", "", "the scoring endpoint to load (POST, one transaction per request)")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	conns := fs.Int("connections", 64, "concurrent connections (closed loop: each sends its next request when answered)")
	rate := fs.Float64("rate", 0, "requests per second in total (open loop: latency counts from the scheduled send time, or from the actual send when the sender was idle and woke late); 0: as fast as answered")
	ids := fs.String("ids", "ordered", "`kind` of transaction ids: ordered (a run prefix and a counter: mostly ascending, as time-ordered ids are) or random (as UUIDv4 ids are: every index on them takes its insert at a random place)")
	verify := fs.Bool("verify", false, "after the run, send about 1 in 64 acknowledged transactions again and check that each comes back as the decision first answered (replayed, same decision id): the decisions were stored, not only answered")
	asJSON := fs.Bool("json", false, "print the report as one JSON line")
	bare := fs.String("bare-server", "", "instead of loading, serve the bare yardstick handler on this `address` until interrupted")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *bare != "" {
		return serveBare(ctx, e, *bare)
	}
	if *key == "" {
		k, err := config.Secret(e.getenv, "VIGIL_BENCH_KEY")
		if err != nil {
			return err
		}
		*key = k
	}
	if *url == "" || *conns < 1 || *duration <= 0 || *rate < 0 || (*ids != "ordered" && *ids != "random") {
		fmt.Fprintln(e.stderr, "vigil bench: --url, a positive --duration and --connections, a non-negative --rate and --ids ordered|random are required")
		return errUsage
	}
	rep, err := loadTest(ctx, *url, *key, *conns, *rate, *duration, *ids, *verify)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "%s: %d requests in %.1fs, %d ok, %.0f requests/s; latency p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, max %.0f µs\n",
			rep.URL, rep.Requests, rep.Seconds, rep.OK, rep.Throughput, rep.P50Micros, rep.P90Micros, rep.P99Micros, rep.MaxMicros)
		if *rate > 0 {
			fmt.Fprintf(e.stdout, "senders that waited for their slot woke late by up to %.0f µs (p99; not counted in the latency)\n", rep.WokeLateP99Micros)
		}
		if rep.OK != rep.Requests {
			fmt.Fprintf(e.stdout, "statuses: %v\n", rep.Statuses)
		}
		if *verify {
			fmt.Fprintf(e.stdout, "verified: %d acknowledged decisions sent again, %d not returned as stored\n", rep.Verified, rep.VerifyFailed)
		}
	}
	if *verify && (rep.VerifyFailed > 0 || rep.Verified == 0) {
		return fmt.Errorf("verify: %d of %d acknowledged decisions sent again did not come back as stored", rep.VerifyFailed, rep.Verified)
	}
	return nil
}

// verifyEvery: --verify keeps about one acknowledged request in this many, drawn by a hash
// of the request's number, so that the sample spreads over the run and costs the client
// little while it measures.
const verifyEvery = 64

// sampled is an acknowledged request kept for --verify: what was sent and the decision id
// answered.
type sampled struct {
	body       []byte
	decisionID string
}

// scoreAnswer is the part of a score response --verify reads.
type scoreAnswer struct {
	DecisionID string `json:"decision_id"`
	Replayed   bool   `json:"replayed"`
}

// verifySamples sends each sample again (the same body, so the same transaction) until ctx
// ends, and returns how many it sent and how many of those were not answered with 200,
// replayed and the decision id first answered.
func verifySamples(ctx context.Context, client *http.Client, url, key string, samples []sampled) (checked, failed int) {
	for _, s := range samples {
		status, body := send(ctx, client, url, key, s.body, true)
		if ctx.Err() != nil {
			break
		}
		checked++
		var a scoreAnswer
		if status != "200" || json.Unmarshal(body, &a) != nil || !a.Replayed || a.DecisionID != s.decisionID {
			failed++
		}
	}
	return checked, failed
}

// benchBody returns the JSON of the i-th synthetic transaction of a run: distinct ids (so
// that nothing is answered from the idempotency path; with random, in no order: 16 hex
// digits of a bijection of i before the run), 10,000 customers and 20,000 terminals, amounts
// spread like card payments.
func benchBody(run string, i uint64, random bool) []byte {
	h := splitmix(i)
	id := run + "-" + strconv.FormatUint(i, 36)
	if random {
		id = fmt.Sprintf("%016x-%s", splitmix(i^0x5851f42d4c957f2d), run)
	}
	t := fraud.Transaction{
		ID:         id,
		Timestamp:  time.Now().UTC(),
		Amount:     math.Round((5+float64(h%20000)/100)*100) / 100,
		Currency:   "EUR",
		CustomerID: "c-" + strconv.FormatUint(h%10000, 10),
		TerminalID: "t-" + strconv.FormatUint((h>>20)%20000, 10),
		Card:       "tok_" + strconv.FormatUint((h>>40)%50000, 36),
		Channel:    fraud.ChannelEcommerce,
		Country:    "FR",
	}
	b, _ := json.Marshal(&t)
	return b
}

// splitmix is SplitMix64's output function: well-spread bits from a counter. It draws load
// test data, never anything secret.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// loadTest sends transactions with ids of the kind ids ("ordered" or "random") to url.
// With verify, it then sends a sample of the acknowledged transactions again (verifySamples).
func loadTest(ctx context.Context, url, key string, conns int, rate float64, d time.Duration, ids string, verify bool) (*benchReport, error) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		next     atomic.Uint64
		mu       sync.Mutex
		lat      = make([]time.Duration, 0, 1<<16)
		late     []time.Duration // open loop: how late senders that waited for their slot woke
		pace     = pacer{now: time.Now, after: time.After}
		statuses = map[string]int{}
		ok       int64
		samples  []sampled
	)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var local []time.Duration
			localStatus := map[string]int{}
			var localOK int64
			var localSamples []sampled
			var localLate []time.Duration
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				sent := time.Now()
				if interval > 0 {
					var late time.Duration
					var ok bool
					sent, late, ok = pace.slot(ctx, start.Add(time.Duration(float64(i)*float64(interval))))
					if !ok {
						continue
					}
					if late >= 0 {
						localLate = append(localLate, late)
					}
				}
				body := benchBody(run, i, ids == "random")
				keep := verify && (i == 0 || splitmix(i^0x2545f4914f6cdd1d)%verifyEvery == 0)
				status, answer := send(ctx, client, url, key, body, keep)
				if ctx.Err() != nil && status == "error" {
					break // cut off by the end of the run, not a failure
				}
				local = append(local, time.Since(sent))
				localStatus[status]++
				if status == "200" {
					localOK++
					var a scoreAnswer
					if keep && json.Unmarshal(answer, &a) == nil {
						localSamples = append(localSamples, sampled{body: body, decisionID: a.DecisionID})
					}
				}
			}
			mu.Lock()
			samples = append(samples, localSamples...)
			lat = append(lat, local...)
			late = append(late, localLate...)
			for k, v := range localStatus {
				statuses[k] += v
			}
			ok += localOK
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())
	}
	rep := &benchReport{URL: url, IDs: ids, Connections: conns, Rate: rate, Seconds: elapsed, Requests: int64(len(lat)),
		OK: ok, Statuses: statuses, Throughput: float64(len(lat)) / elapsed,
		P50Micros: pct(0.50), P90Micros: pct(0.90), P99Micros: pct(0.99)}
	if len(late) > 0 {
		slices.Sort(late)
		rep.WokeLateP99Micros = float64(late[min(len(late)-1, int(0.99*float64(len(late))))].Microseconds())
	}
	if len(lat) > 0 {
		rep.MaxMicros = float64(lat[len(lat)-1].Microseconds())
	}
	if len(lat) == 0 {
		return rep, errors.New("no request completed")
	}
	if verify {
		rep.Verified, rep.VerifyFailed = verifySamples(parent, client, url, key, samples)
	}
	return rep, nil
}

// pacer holds the open loop's senders to their schedule. Its clock is a field so that the
// tests can drive it.
type pacer struct {
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

// slot waits until due (the time a request is scheduled) and returns the time its latency
// counts from, and how late the sender woke (-1 when it did not wait); ok is false when ctx
// ended first.
//
// A sender that is already past due did not get to send on time because every connection
// was busy with answers still to come: the server's doing, so the latency counts from due
// (counting from the actual send would hide the backlog: coordinated omission). A sender
// that was free before due slept; whatever it wakes late is the client's own doing: an idle
// Go process's timers fire up to a millisecond late (the runtime waits in epoll with
// millisecond resolution), and on a shared machine the client's thread may wait for a core.
// A client on another machine would have sent on time and the server would have seen the
// request then, so the latency counts from the actual send. Without this, the bare handler
// at 5,000 requests/s measured a p50 of 600 µs instead of 100 µs: the timer, not the server.
func (p pacer) slot(ctx context.Context, due time.Time) (from time.Time, late time.Duration, ok bool) {
	wait := due.Sub(p.now())
	if wait <= 0 {
		return due, -1, ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return time.Time{}, -1, false
	case <-p.after(wait):
	}
	woke := p.now()
	return woke, max(woke.Sub(due), 0), true
}

// send posts body and returns the status ("error" when there is no answer) and, when
// keepBody, the answer's body (at most 64 KiB).
func send(ctx context.Context, c *http.Client, url, key string, body []byte, keepBody bool) (string, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "error", nil
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "error", nil
	}
	defer resp.Body.Close()
	var answer []byte
	if keepBody {
		answer, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	}
	io.Copy(io.Discard, resp.Body)
	return strconv.Itoa(resp.StatusCode), answer
}

// bareHandler is the yardstick the score endpoint is compared with: it decodes and validates
// the same JSON the same way, and returns a fixed decision, so the difference between the
// two is what vigil does beyond HTTP and JSON (authentication, rate limit, features, model,
// rules, durable storage).
func bareHandler() http.Handler {
	answer := []byte(`{"decision":"approve","score":0.01,"reasons":[],"rule_hits":[],"model_version":"bare","rules_version":"bare","decision_id":"bare","latency_us":0}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, `{"error":{"code":"too_large"}}`, http.StatusRequestEntityTooLarge)
			return
		}
		if _, err := fraud.DecodeTransaction(body); err != nil {
			http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})
}

func serveBare(ctx context.Context, e env, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: bareHandler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(e.stdout, "bare handler serving on http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
