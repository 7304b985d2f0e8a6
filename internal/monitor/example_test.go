package monitor_test

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vigil-fraud/vigil/internal/monitor"
)

func ExampleMetrics() {
	m := monitor.New(monitor.Options{
		// The server passes callbacks read at scrape time, e.g. memory.State.Stats.
		Entities: func() (customers, terminals int) { return 1200, 340 },
	})
	// Routes are patterns, never paths: ids stay out of the monitoring system.
	m.ObserveRequest("/v1/decisions/{id}", "GET", 200, 3*time.Millisecond)

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "http_requests_total") || strings.HasPrefix(line, "vigil_feature_state_entities") {
			fmt.Println(line)
		}
	}
	// Output:
	// http_requests_total{method="GET",route="/v1/decisions/{id}",status="200"} 1
	// vigil_feature_state_entities{kind="customer"} 1200
	// vigil_feature_state_entities{kind="terminal"} 340
}
