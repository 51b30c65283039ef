package main

import "testing"

func BenchmarkParseStat(b *testing.B) { benchParseStat(b) }
func BenchmarkReadStat(b *testing.B)  { benchReadStat(b) }
func BenchmarkScan(b *testing.B)      { benchScan(b) }
