// A compiled reference client for bench_core.py: the same scatter, decided as early as the
// strategy allows, the stragglers cancelled. Built by the benchmark at run time when `go`
// is installed; never part of the product.
//
//	go_client PORTS_JSON STRATEGY RUNS WARMUPS GAP_S
//
// Prints one line per measured comparison ("cid elapsed_ms decided"), then "cpu_ms TOTAL":
// the whole process's CPU over the measured comparisons.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"
)

type quote struct {
	ProductID    string  `json:"product_id"`
	UnitPrice    float64 `json:"unit_price"`
	TotalPrice   float64 `json:"total_price"`
	Currency     string  `json:"currency"`
	InStock      bool    `json:"in_stock"`
	DeliveryDays int     `json:"delivery_days"`
}

func cpuMs() float64 {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e6
}

func call(ctx context.Context, client *http.Client, url string, body []byte, out chan<- *quote) {
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		out <- nil
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	var q quote
	if err != nil || resp.StatusCode != 200 || json.Unmarshal(data, &q) != nil {
		out <- nil
		return
	}
	out <- &q
}

func compare(client *http.Client, ports []int, strategy, cid string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"product_id": "SKU-123", "quantity": 40, "correlation_id": cid})
	results := make(chan *quote, len(ports))
	for _, port := range ports {
		go call(ctx, client, fmt.Sprintf("http://127.0.0.1:%d/quote", port), body, results)
	}
	quorum := len(ports)/2 + 1
	votes := map[int64]int{}
	var valid []*quote
	for got := 0; got < len(ports); got++ {
		q := <-results
		if q == nil || !q.InStock {
			continue
		}
		valid = append(valid, q)
		switch strategy {
		case "first":
			return true
		case "majority":
			key := int64(math.Round(q.TotalPrice * 100))
			votes[key]++
			if votes[key] >= quorum {
				return true
			}
		}
	}
	sort.Slice(valid, func(i, j int) bool { return valid[i].TotalPrice < valid[j].TotalPrice })
	return strategy != "majority" && len(valid) > 0
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var ports []int
	if err := json.Unmarshal(raw, &ports); err != nil {
		panic(err)
	}
	strategy := os.Args[2]
	runs, _ := strconv.Atoi(os.Args[3])
	warmups, _ := strconv.Atoi(os.Args[4])
	gap, _ := strconv.ParseFloat(os.Args[5], 64)
	transport := &http.Transport{MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second}
	client := &http.Client{Transport: transport}
	var cpu0 float64
	for i := 0; i < warmups+runs; i++ {
		if i == warmups {
			cpu0 = cpuMs()
		}
		time.Sleep(time.Duration(gap * float64(time.Second)))
		cid := fmt.Sprintf("go-%s-%d", strategy, i)
		start := time.Now()
		decided := compare(client, ports, strategy, cid)
		elapsed := float64(time.Since(start).Nanoseconds()) / 1e6
		if i >= warmups {
			fmt.Printf("%s %.3f %t\n", cid, elapsed, decided)
		}
	}
	fmt.Printf("cpu_ms %.3f\n", cpuMs()-cpu0)
}
