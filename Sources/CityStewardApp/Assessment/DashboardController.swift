import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The oversight dashboard: `GET /api/v1/assessment/dashboard` and the console's `/dashboard`, both on
/// `DashboardService`; the charts are SVG drawn here (no script, nothing loaded from elsewhere).
struct DashboardController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("api", "v1", "assessment", "dashboard", use: api)
        routes.get("dashboard", use: page)
    }

    struct MonthView: Content {
        var month: String
        var reported: Int
        var closed: Int
        var closedOnTime: Int
        /// Closed by the deadline ÷ closed, per cent.
        var onTimeRate: Double?
    }

    struct CountView: Content {
        var code: String
        var name: String
        var open: Int
        var total: Int
    }

    struct DashboardView: Content {
        var scope: String
        var asOf: Date
        var open: Int
        var overdue: Int
        var total: Int
        /// Over the twelve months: cases reported, closed, closed by their deadline; the two rates in per cent.
        var reported: Int
        var closed: Int
        var closedOnTime: Int
        var closureRate: Double?
        var onTimeRate: Double?
        var ratings: Int
        var meanRating: Double?
        var satisfiedShare: Double?
        var months: [MonthView]
        /// `street` or `village`.
        var areaLevel: String
        var byArea: [CountView]
        var byCategory: [CountView]

        init(_ f: DashboardService.Figures) {
            (scope, asOf, open, overdue, total) = (f.scope, f.asOf, f.open, f.overdue, f.total)
            (reported, closed, closedOnTime, closureRate, onTimeRate) = (f.reported12, f.closed12, f.closedOnTime12, f.closureRate, f.onTimeRate)
            (ratings, meanRating, satisfiedShare) = (f.ratings.ratings, f.meanRating, f.satisfiedShare)
            months = f.months.map { MonthView(month: $0.month.description, reported: $0.reported, closed: $0.closed, closedOnTime: $0.closedOnTime, onTimeRate: $0.onTimeRate) }
            areaLevel = f.areaLevel.rawValue
            byArea = f.byArea.map { CountView(code: $0.key, name: $0.label, open: $0.open, total: $0.total) }
            byCategory = f.byCategory.map { CountView(code: $0.key, name: $0.label, open: $0.open, total: $0.total) }
        }
    }

    @Sendable func api(req: Request) async throws -> DashboardView {
        DashboardView(try await DashboardService(req: req).figures(chosen: try await Self.chosen(req)))
    }

    /// `street`, `steward` or `department` (one of them, by code): the scope the district office or an auditor chose.
    static func chosen(_ req: Request) async throws -> DashboardService.Chosen? {
        let given = try ["street", "steward", "department"].compactMap { field in
            try req.query.get(String?.self, at: field).flatMap { $0.isEmpty ? nil : (field, $0) }
        }
        guard let (field, code) = given.first else { return nil }
        guard given.count == 1 else {
            throw DomainError.refused(given[1].0, zh: "街道、管家、部门只能选其一", en: "choose a street, a steward or a department, not several")
        }
        let reference = try await req.caseReference()
        let language = req.language
        switch field {
        case "street":
            guard let area = reference.areasByCode[code], area.kind == .street else {
                throw DomainError.refused("street", zh: "没有这个街道", en: "there is no such street")
            }
            return .init(choice: .street(area.id, office: reference.streetOffices[area.id]?.id), name: area.displayName(language))
        default:
            let kind: OrgKind = field == "steward" ? .steward : .department
            guard let org = reference.orgs.values.first(where: { $0.code == code && $0.kind == kind }) else {
                throw DomainError.refused(field, zh: kind == .steward ? "没有这个管家单位" : "没有这个职能部门",
                                          en: kind == .steward ? "there is no such steward" : "there is no such department")
            }
            if kind == .department { return .init(choice: .department(org.id), name: org.displayName(language)) }
            return .init(choice: .steward(org.id, areas: try await DirectoryStore(db: req.db).areasServed(by: org, at: req.now)), name: org.displayName(language))
        }
    }

    struct Page: Encodable {
        var page: PageChrome
        var d: DashboardView
        var asOf: String
        var onTime: String
        var closure: String
        var mean: String
        var satisfied: String
        var trend: String
        var areas: String
        var categories: String
        var areaTitle: String
        /// The choices offered to those who may look at another scope (empty for the others).
        var streets: [PublicAssessmentController.Choice]
        var stewards: [PublicAssessmentController.Choice]
        var departments: [PublicAssessmentController.Choice]
        var chosen: Bool
        /// The queue's filter for the chosen street (`&area=`), so the open and overdue links show its cases.
        var queueArea: String
    }

    @Sendable func page(req: Request) async throws -> Response {
        let actor = try req.consoleActor()
        let chosen = try await Self.chosen(req)
        let f = try await DashboardService(req: req).figures(chosen: chosen)
        let language = req.language, en = language == .en
        let reference = try await req.caseReference()
        func choices(_ field: String, _ all: [(code: String, name: String)]) -> [PublicAssessmentController.Choice] {
            let picked = (try? req.query.get(String?.self, at: field)) ?? nil
            return all.sorted { $0.code < $1.code }.map { .init(value: $0.code, label: $0.name, selected: $0.code == picked) }
        }
        let may = DashboardAccess.mayChoose(actor)
        func orgs(_ kind: OrgKind) -> [(code: String, name: String)] {
            reference.orgs.values.filter { $0.kind == kind }.map { ($0.code, $0.displayName(language)) }
        }
        var queueArea = ""
        if case .street(let id, _)? = chosen?.choice { queueArea = "&area=" + id.uuidString.lowercased() }
        let view = DashboardView(f)
        func pct(_ x: Double?) -> String { x.map { AssessmentScoring.fmt($0) + "%" } ?? "—" }
        let areaTitle = f.areaLevel == .street ? (en ? "Cases by street" : "各街道案件") : (en ? "Cases by village" : "各村案件")
        let page = Page(page: PageChrome(request: req, title: en ? "Oversight dashboard" : "监督看板"), d: view, asOf: BeijingTime.minute(f.asOf),
                        onTime: pct(f.onTimeRate), closure: pct(f.closureRate), mean: f.meanRating.map(AssessmentScoring.fmt) ?? "—", satisfied: pct(f.satisfiedShare),
                        trend: DashboardCharts.trend(f.months, language), areas: DashboardCharts.bars(f.byArea, title: areaTitle, id: "area-chart", language),
                        categories: DashboardCharts.bars(f.byCategory, title: en ? "The ten classes with most cases" : "案件最多的十类", id: "category-chart", language),
                        areaTitle: areaTitle,
                        streets: may ? choices("street", reference.areas.values.filter { $0.kind == .street }.map { ($0.code, $0.displayName(language)) }) : [],
                        stewards: may ? choices("steward", orgs(.steward)) : [], departments: may ? choices("department", orgs(.department)) : [],
                        chosen: chosen != nil, queueArea: queueArea)
        let response = try await req.page("dashboard", page)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

/// The dashboard's charts as SVG: values written as text in each mark's title, colours from the palette the ledger uses.
enum DashboardCharts {
    /// Bars of cases reported per month, the part closed by the deadline darker, and the on-time rate as a line on its own 0–100 % axis.
    static func trend(_ months: [DashboardService.Month], _ language: Language) -> String {
        let en = language == .en
        let width = 760.0, height = 280.0, left = 56.0, right = 48.0, top = 16.0, bottom = 56.0
        let plotW = width - left - right, plotH = height - top - bottom
        let peak = max(1, months.map(\.reported).max() ?? 1)
        let rawStep = Double(peak) / 4
        let magnitude = pow(10, floor(log10(max(rawStep, 1))))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rawStep } ?? rawStep
        let scale = step * 4
        func y(_ n: Int) -> Double { top + plotH - Double(n) / scale * plotH }
        func yRate(_ r: Double) -> Double { top + plotH - r / 100 * plotH }
        let slot = plotW / Double(max(1, months.count)), bar = slot * 0.6
        var out = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \##(Int(width)) \##(Int(height))" role="img" class="chart" aria-labelledby="trend-chart-title">"##
        out += ##"<title id="trend-chart-title">\##(en ? "Cases reported per month, closed by their deadline, and the on-time rate" : "每月上报案件、按期结案数与按期结案率")</title>"##
        for i in 0...4 {
            let value = Int(step) * i
            out += ##"<line x1="\##(left)" y1="\##(y(value))" x2="\##(width - right)" y2="\##(y(value))" stroke="#dde3ea" stroke-width="1"/>"##
            out += ##"<text x="\##(left - 6)" y="\##(y(value) + 4)" text-anchor="end" font-size="11" fill="#55606e">\##(value)</text>"##
            out += ##"<text x="\##(width - right + 6)" y="\##(yRate(Double(25 * i)) + 4)" font-size="11" fill="#55606e">\##(25 * i)%</text>"##
        }
        var points: [String] = []
        for (i, m) in months.enumerated() {
            let x = left + slot * Double(i) + (slot - bar) / 2
            let label = en ? LedgerChart.monthNames[m.month.month - 1] : "\(m.month.month)月"
            out += ##"<rect x="\##(x)" y="\##(y(m.reported))" width="\##(bar)" height="\##(max(0.5, y(0) - y(m.reported)))" fill="#9ec5e8"><title>\##(SVGText.escape("\(m.month) \(en ? "reported" : "上报") \(m.reported)"))</title></rect>"##
            if m.closedOnTime > 0 {
                out += ##"<rect x="\##(x)" y="\##(y(m.closedOnTime))" width="\##(bar)" height="\##(max(0.5, y(0) - y(m.closedOnTime)))" fill="#1f6fb2"><title>\##(SVGText.escape("\(m.month) \(en ? "closed by the deadline" : "按期结案") \(m.closedOnTime)"))</title></rect>"##
            }
            if let r = m.onTimeRate { points.append("\(x + bar / 2),\(yRate(r))") }
            out += ##"<text x="\##(x + bar / 2)" y="\##(top + plotH + 16)" text-anchor="middle" font-size="11" fill="#55606e">\##(label)</text>"##
        }
        if points.count > 1 { out += ##"<polyline points="\##(points.joined(separator: " "))" fill="none" stroke="#b3261e" stroke-width="2"/>"## }
        for (i, p) in points.enumerated() {
            let xy = p.split(separator: ",")
            out += ##"<circle cx="\##(xy[0])" cy="\##(xy[1])" r="3" fill="#b3261e"><title>\##(SVGText.escape(months.filter { $0.onTimeRate != nil }[i].month.description + (en ? " on time " : " 按期结案率 ") + AssessmentScoring.fmt(months.filter { $0.onTimeRate != nil }[i].onTimeRate ?? 0) + "%"))</title></circle>"##
        }
        let ly = height - 20
        out += ##"<rect x="\##(left)" y="\##(ly)" width="10" height="10" fill="#9ec5e8"/><text x="\##(left + 14)" y="\##(ly + 9)" font-size="11">\##(en ? "Reported" : "上报")</text>"##
        out += ##"<rect x="\##(left + 90)" y="\##(ly)" width="10" height="10" fill="#1f6fb2"/><text x="\##(left + 104)" y="\##(ly + 9)" font-size="11">\##(en ? "Closed by the deadline" : "按期结案")</text>"##
        out += ##"<line x1="\##(left + 250)" y1="\##(ly + 5)" x2="\##(left + 266)" y2="\##(ly + 5)" stroke="#b3261e" stroke-width="2"/><text x="\##(left + 270)" y="\##(ly + 9)" font-size="11">\##(en ? "On-time rate (right axis)" : "按期结案率（右轴）")</text>"##
        return out + "</svg>"
    }

    /// Horizontal bars: all cases, the open ones darker, the numbers written beside.
    static func bars(_ rows: [DashboardCount], title: String, id: String, _ language: Language) -> String {
        let en = language == .en
        let width = 760.0, rowH = 26.0, left = 180.0, right = 90.0, top = 8.0
        let height = top + rowH * Double(max(1, rows.count)) + 30
        let peak = Double(max(1, rows.map(\.total).max() ?? 1))
        func w(_ n: Int) -> Double { (width - left - right) * Double(n) / peak }
        var out = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \##(Int(width)) \##(Int(height))" role="img" class="chart" aria-labelledby="\##(id)-title">"##
        out += ##"<title id="\##(id)-title">\##(SVGText.escape(title))</title>"##
        for (i, r) in rows.enumerated() {
            let y = top + rowH * Double(i)
            let name = r.label.count > 14 ? String(r.label.prefix(13)) + "…" : r.label
            out += ##"<text x="\##(left - 8)" y="\##(y + 16)" text-anchor="end" font-size="12" fill="#1b1f24">\##(SVGText.escape(name))</text>"##
            out += ##"<rect x="\##(left)" y="\##(y + 4)" width="\##(max(0.5, w(r.total)))" height="16" fill="#9ec5e8"><title>\##(SVGText.escape("\(r.label) \(en ? "all" : "全部") \(r.total)"))</title></rect>"##
            if r.open > 0 {
                out += ##"<rect x="\##(left)" y="\##(y + 4)" width="\##(max(0.5, w(r.open)))" height="16" fill="#1f6fb2"><title>\##(SVGText.escape("\(r.label) \(en ? "open" : "未结") \(r.open)"))</title></rect>"##
            }
            out += ##"<text x="\##(left + w(r.total) + 6)" y="\##(y + 16)" font-size="12" fill="#1b1f24">\##(r.open) / \##(r.total)</text>"##
        }
        let ly = height - 20
        out += ##"<rect x="\##(left)" y="\##(ly)" width="10" height="10" fill="#1f6fb2"/><text x="\##(left + 14)" y="\##(ly + 9)" font-size="11">\##(en ? "Open" : "未结")</text>"##
        out += ##"<rect x="\##(left + 80)" y="\##(ly)" width="10" height="10" fill="#9ec5e8"/><text x="\##(left + 94)" y="\##(ly + 9)" font-size="11">\##(en ? "All (open / all)" : "全部（未结 / 全部）")</text>"##
        return out + "</svg>"
    }
}
