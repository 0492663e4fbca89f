// bench.go: one repetition of one group of make bench's metrics, on Go:
// a goroutine per server, a buffered channel as its mailbox, a reply
// channel per caller.  The same work as bench/bench.c, printed with the
// prefix go_.  Run: GOMAXPROCS=N bench-go GROUP
//
// Where Go differs from gen_server: a channel is bounded (MAILBOX
// messages), so a sender to a full mailbox blocks until there is room;
// a goroutine cannot be killed, so an exit signal is a close of the
// server's quit channel, which its select takes, at random among the
// ready channels, between two messages; nothing is copied (a message
// holds Go values, shared).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

const (
	calls          = 1000000
	warmup         = 10000
	casts          = 2000000
	queuedCalls    = 200000
	blobWords      = 40 // query_blob's argument: 320 bytes
	servers        = 100000
	million        = 1000000
	contenders     = 16
	contendedCalls = 100000
	queued         = 100000
	workUs         = 10
	idleServers    = 10000
	mailbox        = 64 // each server's channel capacity
)

const key, value = "0x01f", "test"

type op uint8

const (
	opQuery op = iota
	opShow
	opCount
	opWork
	opQueryBlob
	opStop
)

// A message: a call carries the caller's reply channel.
type msg struct {
	op    op
	key   string
	n     int
	blob  *[blobWords]uint64 // query_blob's copy of its argument
	reply chan reply
}

type reply struct {
	value string
	n     int64
}

type server struct {
	mb      chan msg
	quit    chan struct{} // closed: an exit signal (kill or shutdown)
	done    chan struct{} // closed when the server has ended (a monitor)
	key     string
	value   string
	shows   int64
}

// start runs init in the new goroutine and waits for its acknowledgement
// on ack, as gen_server:start does.
func start(ack chan struct{}) *server {
	s := &server{mb: make(chan msg, mailbox), quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop(ack)
	<-ack
	return s
}

func (s *server) loop(ack chan struct{}) {
	s.key, s.value = key, value
	ack <- struct{}{}
	defer close(s.done)
	for {
		select {
		case <-s.quit:
			return
		case m := <-s.mb:
			if !s.handle(m) {
				return
			}
		}
	}
}

// handle runs one message; false when the server stops.
func (s *server) handle(m msg) bool {
	switch m.op {
	case opQuery:
		m.reply <- reply{value: s.value}
	case opShow:
		s.shows++
	case opCount:
		m.reply <- reply{n: s.shows}
	case opWork:
		spin(m.n)
	case opQueryBlob:
		m.reply <- reply{value: s.value}
	case opStop:
		m.reply <- reply{} // terminate has run
		return false
	}
	return true
}

func spin(us int) {
	end := time.Now().Add(time.Duration(us) * time.Microsecond)
	for time.Now().Before(end) {
	}
}

func (s *server) query(k string, r chan reply) string {
	s.mb <- msg{op: opQuery, key: k, reply: r}
	return (<-r).value
}

// queryBlob sends a copy of blob, as a message copies its arguments
// in Erlang and srv.
func (s *server) queryBlob(blob *[blobWords]uint64, r chan reply) string {
	c := new([blobWords]uint64)
	*c = *blob
	s.mb <- msg{op: opQueryBlob, blob: c, reply: r}
	return (<-r).value
}

func (s *server) count(r chan reply) int64 {
	s.mb <- msg{op: opCount, reply: r}
	return (<-r).n
}

func (s *server) stop(r chan reply) {
	s.mb <- msg{op: opStop, reply: r}
	<-r
	<-s.done
}

func callLoop(s *server, n int) {
	r := make(chan reply, 1)
	for i := 0; i < n; i++ {
		if s.query(key, r) != value {
			panic("query")
		}
	}
}

// inClient runs f in a goroutine of its own, as a client process, and
// returns the time it took there.
func inClient(f func()) time.Duration {
	d := make(chan time.Duration)
	go func() {
		t0 := time.Now()
		f()
		d <- time.Since(t0)
	}()
	return <-d
}

func print(name string, v float64) { fmt.Printf("go_%s %.3f\n", name, v) }

func residentBytes() float64 {
	var size, resident int64
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fmt.Fscan(f, &size, &resident)
	return float64(resident) * 4096
}

func peakResidentMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb float64
		if _, err := fmt.Sscanf(sc.Text(), "VmHWM: %f kB", &kb); err == nil {
			return kb / 1024
		}
	}
	panic("no VmHWM")
}

func groupCalls() {
	ack := make(chan struct{})
	s := start(ack)
	inClient(func() { callLoop(s, warmup) })
	d := inClient(func() { callLoop(s, calls) })
	print("call_rtt_ns", float64(d.Nanoseconds())/calls)

	callLoop(s, warmup)
	t0 := time.Now()
	callLoop(s, calls)
	print("main_thread_call_rtt_ns", float64(time.Since(t0).Nanoseconds())/calls)

	d = inClient(func() {
		r := make(chan reply, 1)
		before := s.count(r)
		for i := 0; i < casts; i++ {
			s.mb <- msg{op: opShow, key: key}
		}
		if s.count(r)-before != casts {
			panic("casts")
		}
	})
	print("cast_msgs_per_s", casts/d.Seconds())

	blobLoop := func(n int) {
		r := make(chan reply, 1)
		var blob [blobWords]uint64
		for i := 0; i < n; i++ {
			blob[0] = uint64(i)
			if s.queryBlob(&blob, r) != value {
				panic("query_blob")
			}
		}
	}
	inClient(func() { blobLoop(warmup) })
	d = inClient(func() { blobLoop(queuedCalls) })
	print("queued_call_rtt_ns", float64(d.Nanoseconds())/queuedCalls)

	done := make(chan struct{})
	t0 = time.Now()
	for i := 0; i < contenders; i++ {
		go func() { callLoop(s, contendedCalls); done <- struct{}{} }()
	}
	for i := 0; i < contenders; i++ {
		<-done
	}
	print("contended16_calls_per_s", contenders*contendedCalls/time.Since(t0).Seconds())
	s.stop(make(chan reply, 1))
}

func groupServers() {
	ack := make(chan struct{})
	r := make(chan reply, 1)
	ss := make([]*server, servers)
	before := residentBytes()
	t0 := time.Now()
	for i := range ss {
		ss[i] = start(ack)
	}
	t1 := time.Now()
	after := residentBytes()
	for _, s := range ss {
		s.stop(r)
	}
	t2 := time.Now()
	print("start_us_per_server", float64(t1.Sub(t0).Nanoseconds())/1000/servers)
	print("bytes_per_idle_server", (after-before)/servers)
	print("stop_us_per_server", float64(t2.Sub(t1).Nanoseconds())/1000/servers)
}

func groupMillion() {
	ack := make(chan struct{})
	r := make(chan reply, 1)
	ss := make([]*server, million)
	t0 := time.Now()
	for i := range ss {
		ss[i] = start(ack)
	}
	for _, s := range ss {
		if s.query(key, r) != value {
			panic("query")
		}
	}
	for _, s := range ss {
		s.stop(r)
	}
	print("million_servers_s", time.Since(t0).Seconds())
	print("million_servers_peak_mb", peakResidentMB())
}

func groupKill() {
	ack := make(chan struct{})
	s := start(ack)
	// The mailbox holds 64: the sender blocks, so most of the work is
	// done before the kill, and at most 64 messages wait behind it.
	for i := 0; i < queued; i++ {
		s.mb <- msg{op: opWork, n: workUs}
	}
	t0 := time.Now()
	close(s.quit)
	<-s.done
	print("kill_with_100k_queued_us", float64(time.Since(t0).Nanoseconds())/1e3)
}

func groupControl() {
	ack := make(chan struct{})
	ss := make([]*server, idleServers)
	for i := range ss {
		ss[i] = start(ack)
	}
	t1 := time.Now()
	for _, s := range ss {
		close(s.quit)
	}
	for _, s := range ss {
		<-s.done
	}
	print("shutdown_10k_servers_ms", float64(time.Since(t1).Nanoseconds())/1e6)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bench-go calls|servers|million|kill|control")
		os.Exit(2)
	}
	switch strings.TrimSpace(os.Args[1]) {
	case "calls":
		groupCalls()
	case "servers":
		groupServers()
	case "million":
		groupMillion()
	case "kill":
		groupKill()
	case "control":
		groupControl()
	default:
		fmt.Fprintf(os.Stderr, "bench-go: unknown group '%s'\n", os.Args[1])
		os.Exit(2)
	}
}
