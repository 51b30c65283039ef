package main

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var palette = []color.Color{
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // sexton
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // go-floor
	color.RGBA{0x1f, 0x77, 0xb4, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff},
	color.RGBA{0x55, 0x55, 0x55, 0xff},
}

// stormChart draws the unreaped-orphan count over time of one storm run per
// (init, N): rows are inits, columns are storm sizes. The inits share one
// y scale; "no init" (which never reaps) gets its own.
func stormChart(path string, inits []string, sizes []int, pick func(init string, n int) *StormRun) error {
	rows, cols := len(inits), len(sizes)
	if rows == 0 || cols == 0 {
		return fmt.Errorf("nothing to draw")
	}
	// Shared scales.
	xmax := make([]float64, cols)
	ymax := 1.0
	for c, n := range sizes {
		for _, in := range inits {
			r := pick(in, n)
			if r == nil || len(r.Samples) == 0 {
				continue
			}
			xmax[c] = max(xmax[c], r.Samples[len(r.Samples)-1].T)
			if in != "no init" {
				ymax = max(ymax, float64(r.Peak))
			}
		}
	}
	plots := make([][]*plot.Plot, rows)
	for i, in := range inits {
		plots[i] = make([]*plot.Plot, cols)
		for c, n := range sizes {
			p := plot.New()
			plots[i][c] = p
			r := pick(in, n)
			p.Title.Text = fmt.Sprintf("%s, N = %d", in, n)
			p.X.Label.Text = "ms since the first fork"
			p.Y.Label.Text = "unreaped orphans"
			p.X.Min, p.X.Max = 0, max(xmax[c], 1)
			p.Add(plotter.NewGrid())
			if in == "no init" {
				p.Title.Text += " (own y scale)"
			} else {
				p.Y.Min, p.Y.Max = 0, ymax*1.05
			}
			if r == nil || len(r.Samples) == 0 {
				p.Title.Text += ": no data"
				continue
			}
			pts := make(plotter.XYs, len(r.Samples))
			for k, s := range r.Samples {
				pts[k].X, pts[k].Y = s.T, float64(s.Z)
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color = palette[i%len(palette)]
			l.Width = vg.Points(0.8)
			p.Add(l)
			if in == "no init" {
				p.Y.Min = 0
			}
		}
	}
	img := vgimg.New(vg.Points(float64(420*cols)), vg.Points(float64(170*rows)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for c := range plots[i] {
			plots[i][c].Draw(canvases[i][c])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
