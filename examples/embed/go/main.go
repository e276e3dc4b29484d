// Embedding cotrack from Go (cgo): record two visits, read them back.
package main

/*
#cgo pkg-config: cotrack
#include <stdlib.h>
#include "cotrack/c.h"
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

// check turns a failed call's code and message into an error and frees the
// message, which the C ABI hands over to the caller.
func check(code C.int, msg *C.char) error {
	if code == C.COTRACK_OK {
		return nil
	}
	defer C.cotrack_free(unsafe.Pointer(msg))
	return fmt.Errorf("%s: %s", C.GoString(C.cotrack_code_name(code)), C.GoString(msg))
}

func run(path string) error {
	// C.CString copies into C memory, which the Go collector does not free.
	var cstrings []*C.char
	str := func(s string) *C.char {
		p := C.CString(s)
		cstrings = append(cstrings, p)
		return p
	}
	defer func() {
		for _, p := range cstrings {
			C.free(unsafe.Pointer(p))
		}
	}()

	var msg *C.char
	var db *C.cotrack_db_t
	if err := check(C.cotrack_open(str(path), nil, &db, &msg), msg); err != nil {
		return err
	}
	defer C.cotrack_close(db)

	keys, values := []*C.char{str("sex")}, []*C.char{str("F")}
	code := C.cotrack_register_patient(db, str("P01"), str("HSCT"), str("2024-01-10"),
		&keys[0], &values[0], 1, nil, &msg)
	if err := check(code, msg); err != nil {
		return err
	}

	// A single observation, then a whole visit committed atomically.
	code = C.cotrack_record(db, str("P01"), str("edss"), str("2024-01-05"), 4.0, nil, nil, &msg)
	if err := check(code, msg); err != nil {
		return err
	}
	var visit *C.cotrack_visit_t
	code = C.cotrack_visit_create(str("P01"), str("2024-07-09"), str("M6"), &visit, &msg)
	if err := check(code, msg); err != nil {
		return err
	}
	defer C.cotrack_visit_destroy(visit)
	code = C.cotrack_visit_add(visit, str("edss"), 3.5, nil, &msg)
	if code == C.COTRACK_OK {
		code = C.cotrack_visit_add(visit, str("hba1c"), 48, str("mmol/mol"), &msg)
	}
	if code == C.COTRACK_OK {
		code = C.cotrack_visit_commit(db, visit, nil, &msg)
	}
	if err := check(code, msg); err != nil {
		return err
	}

	var rows *C.cotrack_observations_t
	code = C.cotrack_trajectory(db, str("P01"), str("edss"), nil, nil, &rows, &msg)
	if err := check(code, msg); err != nil {
		return err
	}
	for i := C.size_t(0); i < C.cotrack_observations_count(rows); i++ {
		fmt.Printf("P01 edss %s %g\n", C.GoString(C.cotrack_observations_time(rows, i)),
			float64(C.cotrack_observations_value(rows, i)))
	}
	C.cotrack_observations_destroy(rows)

	code = C.cotrack_latest(db, str("P01"), str("hba1c"), nil, 1, &rows, &msg)
	if err := check(code, msg); err != nil {
		return err
	}
	defer C.cotrack_observations_destroy(rows)
	if C.cotrack_observations_count(rows) == 1 {
		fmt.Printf("P01 hba1c latest %s %.2f %s (entered %s %s)\n",
			C.GoString(C.cotrack_observations_time(rows, 0)),
			float64(C.cotrack_observations_value(rows, 0)),
			C.GoString(C.cotrack_observations_unit(rows, 0)),
			C.GoString(C.cotrack_observations_original_value(rows, 0)),
			C.GoString(C.cotrack_observations_original_unit(rows, 0)))
	}
	return nil
}

func main() {
	path := "clinic.cotrack"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if err := run(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
