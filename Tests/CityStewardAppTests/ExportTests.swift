@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

@Suite("Exports (CSV, audited)")
struct ExportTests {
    @Test func residentsExportIsMaskedScopedAndAudited() async throws {
        try await withTestApp { app in
            let people = try await loadDemoResidents(app)
            let minzhi = try await token(app, "street-minzhi")
            var headers = bearer(minzhi)
            headers.add(name: .acceptLanguage, value: "zh-CN")
            let reply = try await send(app, .GET, "/api/v1/residents/export.csv", headers: headers)
            #expect(reply.status == .ok && reply.headers.contentType?.description.hasPrefix("text/csv") == true)
            #expect(reply.headers.first(name: .contentDisposition)?.contains("residents.csv") == true)
            #expect(reply.text.hasPrefix(CSV.byteOrderMark + "姓名,身份证号,手机号"))
            // Parsed back with the import's own reader: one record per resident of the street, none from elsewhere.
            let records = ResidentCSV.records(String(reply.text.dropFirst()))
            let songziyuan = people.filter { $0.building.hasPrefix("440309002") }
            #expect(records.count == songziyuan.count + 1 && songziyuan.count > 10)
            #expect(records.dropFirst().allSatisfy { $0[4].hasPrefix("440309002") })
            #expect(Set(records.dropFirst().map { $0[4] + "/" + $0[6] }) == Set(songziyuan.map { $0.building + "/" + $0.unit }))
            // Masked, exactly as the list shows; no raw ID number or phone anywhere in the file.
            #expect(LeakScan.leaks(reply.text).isEmpty, "\(LeakScan.leaks(reply.text))")
            #expect(records.dropFirst().allSatisfy { $0[1].contains("********") && $0[0].contains("*") })
            // Filters apply; the export is in the audit log with its count.
            let village = try await send(app, .GET, "/api/v1/residents/export.csv?area=440309002001&lang=en", headers: bearer(minzhi))
            let villageRecords = ResidentCSV.records(String(village.text.dropFirst()))
            #expect(villageRecords.first?.first == "name" && villageRecords.count == songziyuan.filter { $0.building.hasPrefix("440309002001") }.count + 1)
            let audits = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "export", subject: "residents")).rows
            #expect(audits.count == 2 && audits.contains { $0.detail.hasPrefix("rows=\(songziyuan.count); masked") })
            #expect(audits.contains { $0.detail.contains("area=440309002001") })
            // Who may not read residents may not export them; a bad filter is a 400.
            #expect(try await send(app, .GET, "/api/v1/residents/export.csv", headers: bearer(try await token(app, "dept-housing"))).status == .forbidden)
            #expect(try await send(app, .GET, "/api/v1/residents/export.csv?phone=123", headers: bearer(minzhi)).status == .unprocessableEntity)
            // The console page links to the export with the same filters.
            let (cookie, _) = try await webLogin(app, "street-minzhi")
            let page = try await send(app, .GET, "/residents?area=440309002001", headers: ["Cookie": cookie])
            #expect(page.text.contains("/residents/export.csv?area=440309002001"))
            let web = try await send(app, .GET, "/residents/export.csv?area=440309002001", headers: ["Cookie": cookie])
            // The same rows (labels aside, which follow the language).
            func languageFree(_ r: [[String]]) -> [[String]] { r.dropFirst().map { row in [0, 1, 2, 4, 6, 7, 8].map { row[$0] } } }
            #expect(web.status == .ok && languageFree(ResidentCSV.records(String(web.text.dropFirst()))) == languageFree(villageRecords))
        }
    }

    @Test func auditExportCarriesFullHashesAndIsItselfAudited() async throws {
        try await withTestApp { app in
            _ = try await token(app, "steward-dispatch")
            let auditor = try await token(app, "auditor")
            let reply = try await send(app, .GET, "/api/v1/audit/export.csv?action=login&lang=en", headers: bearer(auditor))
            #expect(reply.status == .ok)
            let records = ResidentCSV.records(String(reply.text.dropFirst()))
            #expect(records.first == ["seq", "time", "actor", "action", "action_label", "subject", "detail", "previous_hash", "hash"])
            let logins = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "login")).rows
            #expect(records.count == logins.count + 1 && logins.count >= 2)
            #expect(records.dropFirst().map { $0[8] } == logins.map(\.hash) && records.dropFirst().allSatisfy { $0[8].count == 64 && $0[3] == "login" })
            let exports = try await AuditStore(db: app.db).list(AuditStore.Filter(action: "export", subject: "audit_log")).rows
            #expect(exports.count == 1 && exports[0].detail == "rows=\(logins.count); action=login" && exports[0].actorName == "纪检监督员")
            #expect(try await send(app, .GET, "/api/v1/audit/export.csv", headers: bearer(try await token(app, "steward-dispatch"))).status == .forbidden)
            #expect(try await AuditStore(db: app.db).verify().firstBroken == nil)
        }
    }
}
