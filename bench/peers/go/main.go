// SPDX-License-Identifier: GPL-3.0-or-later
//
// Benchmark peer: a VerneMQ collector written the way Netdata's go.d collector works: net/http
// with keep-alive, one goroutine per job on a ticker aligned to the whole second, and
// Prometheus' own client parser (expfmt.TextParser) building every metric family of the body,
// after which the mqtt_puback_sent series are summed by reason code. Benchmark code only: it
// is built offline from Debian's golang-go and golang-github-prometheus-common-dev packages
// (GO111MODULE=off, GOPATH=/usr/share/gocode).
//
//	vmq-peer-go -url URL -jobs N          paced: every job scrapes at every whole second, forever;
//	                                      prints "SCRAPE <job> <sum>" per scrape
//	vmq-peer-go -url URL -count N         back to back: N scrapes of one job, then exits
//	vmq-peer-go -parse FILE -count N      parse only: N parses of FILE; prints µs per parse
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// sumPubackSent parses a whole body as Prometheus text and sums the MQTT 5 mqtt_puback_sent
// series per reason code, whatever the name prefix.
func sumPubackSent(body io.Reader) (map[string]float64, error) {
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(body)
	if err != nil {
		return nil, err
	}
	sums := map[string]float64{}
	for name, family := range families {
		if !strings.HasSuffix(name, "mqtt_puback_sent") {
			continue
		}
		for _, m := range family.GetMetric() {
			reason := ""
			version := ""
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "reason_code":
					reason = l.GetValue()
				case "mqtt_version":
					version = l.GetValue()
				}
			}
			if version == "5" {
				sums[reason] += value(m)
			}
		}
	}
	return sums, nil
}

func value(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetUntyped().GetValue()
}

func total(sums map[string]float64) float64 {
	t := 0.0
	for _, v := range sums {
		t += v
	}
	return t
}

func scrape(client *http.Client, url string) (float64, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return 0, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	sums, err := sumPubackSent(resp.Body)
	if err != nil {
		return 0, err
	}
	return total(sums), nil
}

func main() {
	url := flag.String("url", "", "metrics URL")
	jobs := flag.Int("jobs", 1, "jobs scraping the URL every second")
	count := flag.Int("count", 0, "back to back: this many scrapes, then exit")
	parseFile := flag.String("parse", "", "parse only: this file, -count times")
	flag.Parse()

	if *parseFile != "" {
		data, err := os.ReadFile(*parseFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n := *count
		if n <= 0 {
			n = 100
		}
		start := time.Now()
		var t float64
		for i := 0; i < n; i++ {
			sums, err := sumPubackSent(bytes.NewReader(data))
			if err != nil {
				fmt.Fprintln(os.Stderr, "parse error:", err)
				os.Exit(1)
			}
			t += total(sums)
		}
		us := float64(time.Since(start).Microseconds()) / float64(n)
		fmt.Printf("PARSE us_per_parse=%.1f bytes=%d sum=%.0f\n", us, len(data), t/float64(n))
		return
	}

	transport := &http.Transport{MaxIdleConns: *jobs + 10, MaxIdleConnsPerHost: *jobs + 10, IdleConnTimeout: time.Hour}
	client := &http.Client{Transport: transport, Timeout: 900 * time.Millisecond}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	report := func(job int, sum float64, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fmt.Fprintf(out, "ERROR %d %v\n", job, err)
		} else {
			fmt.Fprintf(out, "SCRAPE %d %.0f\n", job, sum)
		}
		out.Flush()
	}

	if *count > 0 {
		for i := 0; i < *count; i++ {
			if _, err := scrape(client, *url); err != nil {
				report(0, 0, err)
				os.Exit(1)
			}
		}
		report(0, float64(*count), nil)
		return
	}

	for j := 0; j < *jobs; j++ {
		go func(job int) {
			for {
				// Sleep to the next whole second, as go.d's ticker does.
				now := time.Now()
				time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
				sum, err := scrape(client, *url)
				report(job, sum, err)
			}
		}(j)
	}
	select {}
}
