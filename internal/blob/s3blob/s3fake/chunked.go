// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3fake

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxBody bounds one request body (a part or a single PUT): S3 allows 5 GiB,
// a test needs far less.
const maxBody = 256 << 20

// readBody returns the payload of a PUT: the body itself, or its decoding
// when the client used aws-chunked encoding (minio-go's streaming
// signature over plain HTTP, with or without trailers).
func readBody(r *http.Request) ([]byte, error) {
	body := io.LimitReader(r.Body, maxBody+1)
	sha := r.Header.Get("X-Amz-Content-Sha256")
	if !strings.HasPrefix(sha, "STREAMING-") && !strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		data, err := io.ReadAll(body)
		if len(data) > maxBody {
			return nil, errors.New("body too large for the fake")
		}
		return data, err
	}
	data, err := decodeChunked(bufio.NewReader(body))
	if err != nil {
		return nil, err
	}
	if dl := r.Header.Get("X-Amz-Decoded-Content-Length"); dl != "" && dl != strconv.Itoa(len(data)) {
		return nil, fmt.Errorf("decoded length %d, header says %s", len(data), dl)
	}
	return data, nil
}

// decodeChunked decodes "<hex size>[;chunk-signature=…]\r\n<data>\r\n"
// chunks up to the empty one, then skips trailer lines up to an empty line.
func decodeChunked(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, err
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || size < 0 || int64(len(out))+size > maxBody {
			return nil, fmt.Errorf("bad chunk header %q", line)
		}
		if size == 0 {
			for {
				l, err := readLine(br)
				if l == "" || err != nil { // end of trailers
					return out, nil
				}
			}
		}
		start := len(out)
		out = append(out, make([]byte, size)...)
		if _, err := io.ReadFull(br, out[start:]); err != nil {
			return nil, err
		}
		if l, err := readLine(br); err != nil || l != "" {
			return nil, fmt.Errorf("chunk not followed by CRLF")
		}
	}
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
