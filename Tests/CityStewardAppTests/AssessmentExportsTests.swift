@testable import CityStewardApp
import CityStewardCore
@testable import CityStewardStore
import CityStewardTestSupport
import Foundation
import SQLKit
import Testing
import Vapor

/// The oversight dashboard over each caller's scope, its months counted by hand against the cases; exports (issue 19
/// §7): the case queue with its filters as CSV and XLSX — every matching case in the caller's scope,
/// refused filters by field, the console's links — and a plan's scores with every indicator's working and evidence.
@Suite("Assessment: dashboards and exports")
struct AssessmentExportsTests {
    func csvRows(_ text: String) -> [[String]] {
        text.replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: "\r\n", omittingEmptySubsequences: true).map { line in
            var fields: [String] = [], field = "", quoted = false
            var chars = Array(line)[...]
            while let ch = chars.popFirst() {
                if quoted {
                    if ch == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } } else { field.append(ch) }
                } else if ch == "\"" { quoted = true } else if ch == "," { fields.append(field); field = "" } else { field.append(ch) }
            }
            fields.append(field)
            return fields
        }
    }

    @Test func theQueueExportsWithItsFiltersInTheCallersScope() async throws {
        try await withTestApp { app in
            try await DemoCaseHistory.load(app)
            let admin = bearer(try await token(app, "district-admin")), minzhi = bearer(try await token(app, "street-minzhi"))
            let listed = try await send(app, .GET, "/api/v1/cases?state=closed&limit=1", headers: admin)
            let total = try #require(listed.json["total"] as? Int)
            let csv = try await send(app, .GET, "/api/v1/cases/export.csv?state=closed", headers: admin)
            #expect(csv.status == .ok && csv.headers.contentType?.description.contains("text/csv") == true)
            let rows = csvRows(csv.text)
            #expect(rows.first?.first == "案件编号" && rows.count == total + 1, "\(rows.count) rows for \(total) cases")
            #expect(rows.dropFirst().allSatisfy { $0.count == 16 && $0[5] == "已结案" }, "\(rows.dropFirst().first ?? [])")
            // The street office: its street's cases only, the same count as its queue.
            let streetTotal = try #require(try await send(app, .GET, "/api/v1/cases?limit=1", headers: minzhi).json["total"] as? Int)
            let streetRows = csvRows(try await send(app, .GET, "/api/v1/cases/export.csv?lang=en", headers: minzhi).text)
            #expect(streetRows.first?.first == "number" && streetRows.count == streetTotal + 1 && streetRows.dropFirst().allSatisfy { $0[7] == "Minzhi Subdistrict" },
                    "\(Set(streetRows.dropFirst().map { $0[7] }))")
            // XLSX: the same rows.
            let xlsx = try await app.testing().sendRequest(.GET, "/api/v1/cases/export.xlsx?state=closed", headers: admin)
            #expect(xlsx.status == .ok && xlsx.headers.contentType?.description.contains("spreadsheetml") == true)
            let book = try SpreadsheetReader.read(Data(buffer: xlsx.body))
            #expect(book["案件"]?.count == total + 1)
            // A bad filter is refused by its field; a key that only reports reads nothing.
            let bad = try await send(app, .GET, "/api/v1/cases/export.csv?state=nope", headers: admin)
            #expect(bad.status == .badRequest && bad.json["field"] as? String == "state")
            #expect(try await AuditStore(db: app.db).list(AuditStore.Filter(action: "export")).rows.contains { $0.subject == "cases" })
            // The console's queue links the download with its filters, and serves it.
            let (cookie, _) = try await webLogin(app, "district-admin")
            let queue = try await send(app, .GET, "/cases?state=closed", headers: ["Cookie": cookie])
            #expect(queue.text.contains("href=\"/cases/export.csv?state=closed\""), "\(queue.status)")
            let download = try await send(app, .GET, "/cases/export.csv?state=closed&area=&category=", headers: ["Cookie": cookie])
            #expect(download.status == .ok && csvRows(download.text).count == total + 1)
        }
    }

    @Test func thePlansScoresExportWithEachIndicatorsWorkingAndEvidence() async throws {
        try await withTestApp { app in
            try await DemoCaseHistory.load(app)
            #expect(try await DemoAssessment.load(app))
            let last = try #require(try await AssessmentStore(db: app.db).list(drafts: true).first { $0.year == 2025 })
            let admin = bearer(try await token(app, "district-admin"))
            let scores = try await send(app, .GET, "/api/v1/assessment/plans/\(last.id)/scores", headers: admin)
            let villages = try #require(scores.json["villages"] as? [[String: Any]])
            let csv = try await send(app, .GET, "/api/v1/assessment/plans/\(last.id)/scores/export.csv", headers: admin)
            #expect(csv.status == .ok)
            let rows = csvRows(csv.text)
            // One row per village and indicator (groups and leaves: 4 groups, 12 leaves in the standard method).
            #expect(rows.count == 1 + villages.count * 16, "\(rows.count) rows for \(villages.count) villages")
            // The first village's on-time line carries the same working and evidence as the scores.
            let first = villages[0], code = try #require((first["area"] as? [String: Any])?["code"] as? String)
            let onTime = try #require(((first["indicators"] as? [[String: Any]])?.first?["children"] as? [[String: Any]])?.first)
            let line = try #require(rows.first { $0[0] == code && $0[5] == "1.1" })
            #expect(line[14] == onTime["explanation"] as? String && line[15] == (onTime["evidence"] as? [String] ?? []).joined(separator: " "), "\(line)")
            #expect(line[2] == AssessmentScoring.fmt(first["total"] as? Double ?? -1) && line[4] == String(first["rank"] as? Int ?? -1))
            let xlsx = try await app.testing().sendRequest(.GET, "/api/v1/assessment/plans/\(last.id)/scores/export.xlsx?lang=en", headers: admin)
            let book = try SpreadsheetReader.read(Data(buffer: xlsx.body))
            #expect(book["Scores"]?.count == villages.count + 1 && book["Indicators"]?.count == rows.count)
            // The street office exports its villages only; a resident nothing.
            let street = csvRows(try await send(app, .GET, "/api/v1/assessment/plans/\(last.id)/scores/export.csv", headers: bearer(try await token(app, "street-minzhi"))).text)
            #expect(street.count > 1 && street.dropFirst().allSatisfy { $0[0].hasPrefix("440309002") })
            #expect(try await send(app, .GET, "/api/v1/assessment/plans/\(last.id)/scores/export.csv", headers: bearer(try await token(app, "resident-demo"))).status == .forbidden)
            let (cookie, _) = try await webLogin(app, "district-admin")
            #expect(try await send(app, .GET, "/assessment/plans/\(last.id)", headers: ["Cookie": cookie]).text.contains("/assessment/plans/\(last.id.uuidString.lowercased())/export.xlsx"))
            #expect(try await send(app, .GET, "/assessment/plans/\(last.id.uuidString.lowercased())/export.csv", headers: ["Cookie": cookie]).status == .ok)
        }
    }

    @Test func theDashboardShowsEachCallersScopeAndItsMonthsAddUp() async throws {
        try await withTestApp { app in
            try await DemoCaseHistory.load(app)
            // The monthly tallies the database keeps are the cases grouped by hand, after inserts, changes and a deletion.
            let sql = try #require(app.db as? any SQLDatabase)
            let postgres = sql.dialect.name != "sqlite"
            func monthly() async throws -> [String] {
                try await sql.raw("SELECT * FROM case_months WHERE reported > 0").all().map { row in
                    try (CreateCaseMonths.key.map { try row.decode(column: $0, as: String.self).lowercased() } + CreateCaseMonths.figures.map { String(try row.decode(column: $0, as: Int.self)) })
                        .joined(separator: " ")
                }.sorted()
            }
            func grouped() async throws -> [String] {
                let v = CreateCaseMonths.values("cases", postgres: postgres), k = CreateCaseMonths.key.count
                let columns = (0..<k).map { "\(v[$0]) AS \(CreateCaseMonths.key[$0])" } + (k..<v.count).map { "CAST(SUM(\(v[$0])) AS BIGINT) AS \(CreateCaseMonths.figures[$0 - k])" }
                return try await sql.raw("SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM cases GROUP BY \(unsafeRaw: v[..<k].joined(separator: ", "))").all().map { row in
                    try (CreateCaseMonths.key.map { try row.decode(column: $0, as: String.self).lowercased() } + CreateCaseMonths.figures.map { String(try row.decode(column: $0, as: Int.self)) })
                        .joined(separator: " ")
                }.sorted()
            }
            let initially = try await monthly(), regrouped = try await grouped()
            #expect(initially.count > 100 && initially == regrouped)
            let numbers = try await sql.raw("SELECT number FROM cases WHERE closed_at IS NULL ORDER BY number LIMIT 3").all().map { try $0.decode(column: "number", as: String.self) }
            try #require(numbers.count == 3)
            try await sql.raw("UPDATE cases SET closed_at = deadline, rating = 2 WHERE number = \(bind: numbers[0])").run()
            try await sql.raw("UPDATE cases SET category_code = '06012', source = 'hotline' WHERE number = \(bind: numbers[1])").run()
            try await sql.raw("DELETE FROM cases WHERE number = \(bind: numbers[2])").run()
            let after = try await monthly(), afterGrouped = try await grouped()
            #expect(after != initially && after == afterGrouped)
            let admin = bearer(try await token(app, "district-admin"))
            let d = try await send(app, .GET, "/api/v1/assessment/dashboard", headers: admin)
            #expect(d.status == .ok, "\(d.text.prefix(300))")
            let months = try #require(d.json["months"] as? [[String: Any]])
            #expect(months.count == 12 && months.first?["month"] as? String == "2025-12" && months.last?["month"] as? String == "2026-11")
            // Each month by hand: the cases reported in it, those closed, those closed by their deadline.
            let cases = try await CaseStore(db: app.db).queue(scope: .everything, filter: CaseFilter(), limit: 5_000, offset: 0, now: app.clock.now).page.rows.map(\.case)
            for m in months {
                let month = try #require(LedgerMonth(m["month"] as? String ?? ""))
                let start = LocalDate(year: month.year, month: month.month, day: 1).beijingMidnight, end = LocalDate(year: month.next.year, month: month.next.month, day: 1).beijingMidnight
                let inMonth = cases.filter { $0.workflow.reportedAt >= start && $0.workflow.reportedAt < end }
                #expect(m["reported"] as? Int == inMonth.count && m["closed"] as? Int == inMonth.filter { $0.closedAt != nil }.count, "\(m)")
                #expect(m["closedOnTime"] as? Int == inMonth.filter { c in c.closedAt.map { $0 <= c.workflow.deadline } ?? false }.count, "\(m)")
            }
            #expect(d.json["reported"] as? Int == months.reduce(0) { $0 + ($1["reported"] as? Int ?? 0) } && (d.json["reported"] as? Int ?? 0) > 500)
            // A snapshot for a few seconds, then figures afresh.
            let again = try await send(app, .GET, "/api/v1/assessment/dashboard", headers: admin)
            app.testClock.advance(by: DashboardCache.ttl)
            let later = try await send(app, .GET, "/api/v1/assessment/dashboard", headers: admin)
            #expect(again.json["asOf"] as? String == d.json["asOf"] as? String && later.json["asOf"] as? String != d.json["asOf"] as? String)
            #expect(d.json["total"] as? Int == cases.count && d.json["open"] as? Int == cases.filter { !$0.state.isFinal }.count)
            #expect((d.json["ratings"] as? Int ?? 0) > 50 && (d.json["meanRating"] as? Double ?? 0) > 3)
            let streets = try #require(d.json["byArea"] as? [[String: Any]])
            #expect(d.json["areaLevel"] as? String == "street" && streets.reduce(0) { $0 + ($1["total"] as? Int ?? 0) } == cases.count)
            // A street office: its villages, its cases only.
            let minzhi = try await send(app, .GET, "/api/v1/assessment/dashboard", headers: bearer(try await token(app, "street-minzhi")))
            let villages = try #require(minzhi.json["byArea"] as? [[String: Any]])
            let streetTotal = try #require(try await send(app, .GET, "/api/v1/cases?limit=1", headers: bearer(try await token(app, "street-minzhi"))).json["total"] as? Int)
            #expect(minzhi.json["areaLevel"] as? String == "village" && minzhi.json["total"] as? Int == streetTotal && streetTotal < cases.count)
            #expect(villages.allSatisfy { ($0["code"] as? String ?? "").hasPrefix("440309002") }, "\(villages)")
            #expect((minzhi.json["reported"] as? Int ?? 0) < (d.json["reported"] as? Int ?? 0))
            // Residents and data consumers see none.
            #expect(try await send(app, .GET, "/api/v1/assessment/dashboard", headers: bearer(try await token(app, "resident-demo"))).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/assessment/dashboard", headers: bearer(try await token(app, "data-platform"))).status == .forbidden)
            // The console: the figures and the charts drawn by the server.
            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/dashboard", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.components(separatedBy: "<svg").count - 1 == 3 && page.text.contains("按期结案率"), "\(page.status)")
            #expect(page.text.contains("href=\"/dashboard\""), "in the navigation")
        }
    }

    @Test func aQuarterOrAMonthIsScoredWithTheChangeSinceThePeriodBeforeAndStreetsTakeTheirVillagesMean() async throws {
        try await withTestApp { app in
            try await DemoCaseHistory.load(app)
            #expect(try await DemoAssessment.load(app))
            let plan = try #require(try await AssessmentStore(db: app.db).list(drafts: true).first { $0.year == 2026 })
            let admin = bearer(try await token(app, "district-admin"))
            func scores(_ query: String) async throws -> Reply { try await send(app, .GET, "/api/v1/assessment/plans/\(plan.id)/scores?\(query)", headers: admin) }
            let q3 = try await scores("period=2026-Q3")
            #expect(q3.status == .ok && q3.json["period"] as? String == "2026-Q3" && q3.json["from"] as? String == "2026-07-01" && q3.json["through"] as? String == "2026-09-30")
            let q2 = try await scores("period=2026-q2")
            func totals(_ r: Reply) -> [String: Double] {
                Dictionary(uniqueKeysWithValues: (r.json["villages"] as? [[String: Any]] ?? []).compactMap { v in
                    guard v["grade"] != nil, let code = (v["area"] as? [String: Any])?["code"] as? String, let t = v["total"] as? Double else { return nil }
                    return (code, t)
                })
            }
            let before = totals(q2), now = totals(q3)
            #expect(before.count >= 6 && now.count >= 6)
            for v in q3.json["villages"] as? [[String: Any]] ?? [] {
                guard let code = (v["area"] as? [String: Any])?["code"] as? String, let t = now[code], let p = before[code] else { continue }
                #expect(v["previous"] as? Double == p && abs((v["change"] as? Double ?? .nan) - (t - p)) < 0.006, "\(code): \(v["previous"] ?? "") \(v["change"] ?? "")")
            }
            // A street's total is the mean of its scored villages'.
            for street in q3.json["streets"] as? [[String: Any]] ?? [] {
                let code = try #require((street["area"] as? [String: Any])?["code"] as? String)
                let mine = now.filter { $0.key.hasPrefix(code) }.map(\.value)
                #expect(street["villages"] as? Int == mine.count && abs((street["total"] as? Double ?? 0) - mine.reduce(0, +) / Double(mine.count)) < 0.006, "\(street)")
            }
            #expect(((try await scores("period=2026-Q1")).json["villages"] as? [[String: Any]] ?? []).allSatisfy { $0["previous"] == nil }, "nothing before the first quarter")
            #expect(try await scores("period=2026-10").json["through"] as? String == "2026-10-31")
            // Refused by field: another year, an unknown period, both ways at once, a month not begun.
            #expect(try await scores("period=2025-Q3").json["field"] as? String == "period")
            #expect(try await scores("period=2026-Q5").status == .badRequest)
            #expect(try await scores("period=2026-Q3&from=2026-07-01").status == .badRequest)
            #expect(try await scores("period=2026-12").status == .unprocessableEntity)
            // The console: the period chosen, the change column, the streets.
            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/assessment/plans/\(plan.id.uuidString.lowercased())?period=2026-10", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("<option value=\"2026-10\" selected>") && page.text.contains("较上期") && page.text.contains("各街道"), "\(page.status)")
        }
    }

    /// The document names every measure, deduction basis and audit action the server can answer with, and no other.
    @Test func theDocumentsEnumsFollowTheDomainsCases() async throws {
        try await withTestApp { app in
            let document = try await send(app, .GET, "/openapi.json").text
            let root = try JSONSerialization.jsonObject(with: Data(document.utf8))
            var enums: [[String]] = []
            func walk(_ o: Any) {
                if let d = o as? [String: Any] {
                    if let e = d["enum"] as? [String] { enums.append(e) }
                    d.values.forEach(walk)
                } else if let a = o as? [Any] { a.forEach(walk) }
            }
            walk(root)
            let measures = enums.filter { $0.contains("onTimeHandlingRate") }
            #expect(!measures.isEmpty && measures.allSatisfy { Set($0) == Set(IndicatorMeasure.allCases.map(\.rawValue)) })
            let bases = enums.filter { $0.contains("overdueCase") }
            #expect(!bases.isEmpty && bases.allSatisfy { Set($0) == Set(DeductionBasis.allCases.map(\.rawValue)) })
            let actions = enums.filter { $0.contains("inspection.signed") }
            #expect(!actions.isEmpty && actions.allSatisfy { Set(AuditAction.allCases.map(\.rawValue)).subtracting($0).isEmpty }, "\(Set(AuditAction.allCases.map(\.rawValue)).subtracting(actions.first ?? []))")
        }
    }

    /// The district office and auditors may look at one street, steward or department: the figures are those the
    /// street office, the steward's dispatcher and the department's officer see on their own dashboards. Others may
    /// not choose (403); two choices or an unknown code are refused by their field (422).
    @Test func theDistrictLooksAtAChosenStreetStewardOrDepartmentAsItsOwnPeopleDo() async throws {
        try await withTestApp { app in
            try await DemoCaseHistory.load(app)
            let admin = bearer(try await token(app, "district-admin"))
            let figures = ["open", "overdue", "total", "reported", "closed", "closedOnTime", "ratings"]
            func same(_ a: Reply, _ b: Reply) -> Bool {
                figures.allSatisfy { a.json[$0] as? Int == b.json[$0] as? Int } && (a.json["months"] as? [[String: Any]])?.map { $0["reported"] as? Int } == (b.json["months"] as? [[String: Any]])?.map { $0["reported"] as? Int }
            }
            let whole = try await send(app, .GET, "/api/v1/assessment/dashboard", headers: admin)
            for (query, who, name) in [("street=440309002", "street-minzhi", "民治街道"), ("steward=LH-STEWARD-01", "steward-dispatch", ""), ("department=LH-ZJJ", "dept-housing", "区住房建设局")] {
                let chosen = try await send(app, .GET, "/api/v1/assessment/dashboard?\(query)", headers: admin)
                let own = try await send(app, .GET, "/api/v1/assessment/dashboard", headers: bearer(try await token(app, who)))
                #expect(chosen.status == .ok && own.status == .ok, "\(query): \(chosen.text.prefix(200))")
                #expect(same(chosen, own), "\(query): \(chosen.text.prefix(400)) against \(own.text.prefix(400))")
                // The demo's one steward serves every village; a street and a department are a part of the district.
                let part = chosen.json["total"] as? Int ?? 0, all = whole.json["total"] as? Int ?? 0
                #expect(part > 0 && (who == "steward-dispatch" ? part <= all : part < all), "\(query): \(part) of \(all)")
                #expect(chosen.json["areaLevel"] as? String == "village" && (name.isEmpty || (chosen.json["scope"] as? String)?.contains(name) == true), "\(chosen.json["scope"] ?? "")")
                let auditor = try await send(app, .GET, "/api/v1/assessment/dashboard?\(query)", headers: bearer(try await token(app, "auditor")))
                #expect(same(auditor, chosen))
            }
            let refused = try await send(app, .GET, "/api/v1/assessment/dashboard?street=440309006", headers: bearer(try await token(app, "street-minzhi")))
            #expect(refused.status == .forbidden, "a street office sees its own street only")
            let two = try await send(app, .GET, "/api/v1/assessment/dashboard?street=440309002&department=LH-ZJJ", headers: admin)
            #expect(two.status == .unprocessableEntity && two.text.contains("department"))
            for query in ["street=LH-ZJJ", "steward=LH-ZJJ", "department=nope"] {
                let unknown = try await send(app, .GET, "/api/v1/assessment/dashboard?\(query)", headers: admin)
                #expect(unknown.status == .unprocessableEntity && unknown.text.contains(String(query.prefix { $0 != "=" })), "\(query): \(unknown.status)")
            }

            let (cookie, _) = try await webLogin(app, "district-admin")
            let page = try await send(app, .GET, "/dashboard?street=440309002", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.text.contains("<option value=\"440309002\" selected>") && page.text.contains("监督看板 · 民治街道")
                    && page.text.contains("/cases?state=open&amp;area="), "\(page.status)")
            let (streetCookie, _) = try await webLogin(app, "street-minzhi")
            let theirs = try await send(app, .GET, "/dashboard", headers: ["Cookie": streetCookie])
            #expect(theirs.status == .ok && !theirs.text.contains("id=\"dash-street\""))
        }
    }
}
