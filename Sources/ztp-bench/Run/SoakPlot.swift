import Foundation

/// The soak's samples as an SVG: three panels sharing the time axis (server memory, open fds,
/// sessions in the registry), with the end of warm-up and of the load marked. The memory panel
/// draws RSS (and its anonymous part) beside the heap in use and the heap malloc keeps free, so
/// a rise in RSS shows whether live data grew or the allocator kept more.
enum SoakPlot {
    static func svg(_ result: SoakScenario.Result, loadEnd: Double) -> String {
        let width = 900.0, panelHeight = 180.0, left = 70.0, right = 20.0, top = 40.0, gap = 40.0
        let samples = result.samples
        let maxT = max(1, samples.map(\.t).max() ?? 1)
        func mib(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
        let panels: [(title: String, series: [(label: String, color: String, values: [Double])])] = [
            ("server memory (MiB)", [("RSS", "#1f77b4", samples.map { mib($0.rssBytes) }),
                                     ("RSS anonymous", "#17becf", samples.map { mib($0.rssAnonBytes) }),
                                     ("heap in use", "#ff7f0e", samples.map { mib($0.heapInUseBytes) }),
                                     ("heap free (malloc)", "#9467bd", samples.map { mib($0.heapFreeBytes) })]),
            ("server open fds", [("fds", "#d62728", samples.map { Double($0.fds) })]),
            ("sessions in the registry", [("sessions", "#2ca02c", samples.map { Double($0.sessions) })]),
        ]
        let height = top + Double(panels.count) * (panelHeight + gap) + 10
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="20" font-size="14">ztp-bench soak: \(result.sessions) sessions churning for \(Int(result.seconds)) s (warm-up \(Int(result.warmup)) s)</text>

        """
        let plotWidth = width - left - right
        func x(_ t: Double) -> Double { left + t / maxT * plotWidth }
        for (index, panel) in panels.enumerated() {
            let y0 = top + Double(index) * (panelHeight + gap)
            let maxV = max(1, (panel.series.flatMap(\.values).max() ?? 1) * 1.1)
            func y(_ v: Double) -> Double { y0 + panelHeight - v / maxV * panelHeight }
            svg += "<text x=\"\(left)\" y=\"\(f(y0 - 6))\">\(panel.title)</text>\n"
            if panel.series.count > 1 {
                for (position, series) in panel.series.enumerated() {
                    svg += "<text x=\"\(f(left + 170 + Double(position) * 140))\" y=\"\(f(y0 - 6))\" fill=\"\(series.color)\">— \(series.label)</text>\n"
                }
            }
            svg += "<rect x=\"\(left)\" y=\"\(f(y0))\" width=\"\(f(plotWidth))\" height=\"\(f(panelHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
            for tick in 0...4 {
                let v = maxV * Double(tick) / 4
                svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(v >= 100 ? String(Int(v)) : f(v))</text>\n"
                svg += "<line x1=\"\(left)\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#eee\"/>\n"
            }
            for (t, label) in [(result.warmup, "warm-up over"), (loadEnd, "clients leave")] {
                svg += "<line x1=\"\(f(x(t)))\" x2=\"\(f(x(t)))\" y1=\"\(f(y0))\" y2=\"\(f(y0 + panelHeight))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
                // A label near the right edge goes on the line's left, so that it is not cut off.
                let nearEdge = x(t) > left + plotWidth - 100
                if index == 0 {
                    svg += "<text x=\"\(f(x(t) + (nearEdge ? -3 : 3)))\" y=\"\(f(y0 + 12))\" fill=\"#666\""
                        + (nearEdge ? " text-anchor=\"end\"" : "") + ">\(label)</text>\n"
                }
            }
            for series in panel.series {
                let points = zip(samples, series.values).map { "\(f(x($0.t))),\(f(y($1)))" }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            }
        }
        let axisY = top + Double(panels.count) * (panelHeight + gap) - gap + 16
        for tick in 0...6 {
            let t = maxT * Double(tick) / 6
            svg += "<text x=\"\(f(x(t)))\" y=\"\(f(axisY))\" text-anchor=\"middle\">\(Int(t)) s</text>\n"
        }
        return svg + "</svg>\n"
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
