import CityStewardCore
import Foundation

/// Income by source over the months as stacked bars, costs as a line, drawn by the server (no script).
enum LedgerChart {
    static func svg(_ s: LedgerSummary, _ language: Language) -> String {
        let width = 760.0, height = 316.0, left = 70.0, right = 16.0, top = 16.0, bottom = 80.0
        let plotW = width - left - right, plotH = height - top - bottom
        let peak = max(1, s.months.map { max($0.incomeFen, $0.costFen) }.max() ?? 1)
        // A round scale: 1, 2 or 5 × 10^n yuan per tick, four ticks.
        let rawStep = Double(peak) / 4
        let magnitude = pow(10, floor(log10(max(rawStep, 1))))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rawStep } ?? rawStep
        let top4 = step * 4
        func y(_ fen: Int) -> Double { top + plotH - Double(fen) / top4 * plotH }
        let slot = plotW / Double(max(1, s.months.count)), bar = slot * 0.62
        var out = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \##(Int(width)) \##(Int(height))" role="img" class="chart" aria-labelledby="ledger-chart-title">"##
        out += ##"<title id="ledger-chart-title">\##(language == .en ? "Income by source and costs, by month" : "按来源的月度收入与支出")</title>"##
        for i in 0...4 {
            let value = Int(step) * i
            let yy = y(value)
            out += ##"<line x1="\##(left)" y1="\##(yy)" x2="\##(width - right)" y2="\##(yy)" stroke="#dde3ea" stroke-width="1"/>"##
            out += ##"<text x="\##(left - 6)" y="\##(yy + 4)" text-anchor="end" font-size="11" fill="#55606e">\##(SVGText.escape(short(value, language)))</text>"##
        }
        var costPoints: [String] = []
        for (i, m) in s.months.enumerated() {
            let x = left + slot * Double(i) + (slot - bar) / 2
            var base = 0
            for source in IncomeSource.allCases {
                let fen = m.income[source] ?? 0
                guard fen > 0 else { continue }
                let y0 = y(base), y1 = y(base + fen)
                out += ##"<rect x="\##(x)" y="\##(y1)" width="\##(bar)" height="\##(max(0.5, y0 - y1))" fill="\##(source.colour)"><title>\##(SVGText.escape("\(m.month) \(source.label.text(language)) \(Money.yuan(fen))"))</title></rect>"##
                base += fen
            }
            costPoints.append("\(x + bar / 2),\(y(m.costFen))")
            let label = language == .en ? monthNames[m.month.month - 1] : "\(m.month.month)月"
            out += ##"<text x="\##(x + bar / 2)" y="\##(top + plotH + 16)" text-anchor="middle" font-size="11" fill="#55606e">\##(label)</text>"##
        }
        if s.months.contains(where: { $0.costFen > 0 }) {
            out += ##"<polyline points="\##(costPoints.joined(separator: " "))" fill="none" stroke="#1b1f24" stroke-width="2" stroke-dasharray="5 3"/>"##
        }
        // Legend, in rows that fit the width.
        var lx = left, ly = height - 42
        func place(_ w: Double) -> (Double, Double) {
            if lx + w > width - right { lx = left; ly += 18 }
            defer { lx += w }
            return (lx, ly)
        }
        for source in IncomeSource.allCases {
            let name = source.label.text(language)
            let (x, y) = place(14 + Double(name.count) * (language == .en ? 6.4 : 11.5) + 16)
            out += ##"<rect x="\##(x)" y="\##(y)" width="10" height="10" fill="\##(source.colour)"/><text x="\##(x + 14)" y="\##(y + 9)" font-size="11" fill="#1b1f24">\##(SVGText.escape(name))</text>"##
        }
        let (x, y) = place(60)
        out += ##"<line x1="\##(x)" y1="\##(y + 5)" x2="\##(x + 16)" y2="\##(y + 5)" stroke="#1b1f24" stroke-width="2" stroke-dasharray="5 3"/><text x="\##(x + 20)" y="\##(y + 9)" font-size="11">\##(language == .en ? "Costs" : "支出")</text>"##
        return out + "</svg>"
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `12,000,000` fen → `¥120k` / `12万`.
    static func short(_ fen: Int, _ language: Language) -> String {
        let yuan = Double(fen) / 100
        if language == .en {
            if yuan >= 1_000_000 { return "¥\(trim(yuan / 1_000_000))M" }
            if yuan >= 1_000 { return "¥\(trim(yuan / 1_000))k" }
            return "¥\(trim(yuan))"
        }
        if yuan >= 10_000 { return "\(trim(yuan / 10_000))万" }
        return "\(trim(yuan))元"
    }

    static func trim(_ v: Double) -> String {
        v.rounded() == v ? String(Int(v)) : String(format: "%.1f", v)
    }
}
