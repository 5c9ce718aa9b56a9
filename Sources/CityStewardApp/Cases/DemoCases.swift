import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// A handful of reports in the demo villages, made through the real intake (routing, deadlines, numbering), so the
/// queue, the map and the task list have something to show on first start.
enum DemoCases {
    static let reports: [(village: String, grid: Int, category: String, text: String, urgent: Bool)] = [
        ("440309002001V01", 3, "06010", "巷口垃圾桶旁堆放生活垃圾，未入桶", false),
        ("440309002001V01", 7, "06001", "楼顶新搭建彩钢瓦棚，疑似违建", false),
        ("440309002001V01", 12, "08004", "旁边工地未覆盖裸土，扬尘明显", false),
        ("440309004005V01", 2, "06042", "垃圾收集点满溢，周边有异味", true),
        ("440309004005V01", 9, "06013", "巷道路面破损，有坑洼积水", false),
        ("440309001009V01", 4, "09006", "早餐摊占用消防通道旁人行道经营", false),
        ("440309003006V01", 5, "01037", "3 号巷路灯不亮", false),
        ("440309005004V01", 3, "06040", "私设地锁占用公共停车位", false),
        ("440309006007V01", 6, "09010", "电动车在楼道口乱停放", false),
    ]

    /// Two residents' reports through the portal's path (a facility's QR code, a phone number); the first is closed
    /// so it can be rated or reopened. Their form keys make their tracking links (printed by `demo`).
    static let residentFormKeys = ["demo-resident-1", "demo-resident-2"]
    static let residentPhone = "13800138000"

    static func load(_ app: Application) async throws {
        guard try await CaseStore(db: app.db).isEmpty() else { return }
        guard let patroller = try await DirectoryStore(db: app.db).user(username: "steward-patrol"),
              let actor = try await DirectoryStore(db: app.db).actor(userID: patroller.id, now: app.clock.now) else { return }
        let reference = try await app.caseReference.get(app.db)
        var created: [Case] = []
        for r in reports {
            guard let village = reference.areasByCode[r.village] else { continue }
            let grids = reference.areas.values.filter { $0.parentID == village.id && $0.kind == .grid }.sorted { $0.code < $1.code }
            guard !grids.isEmpty, let centre = grids[min(r.grid, grids.count - 1)].centre else { continue }
            let report = CaseReport(category: r.category, position: centre, placeCode: nil, description: r.text, urgency: r.urgent ? "urgent" : nil)
            created.append(try await ReportCase(app: app).run(ReportCase.Input(report: report, source: .patrol), actor: actor, now: app.clock.now).saved)
        }
        // Carry a few along so every queue has something: the steward's dispatcher files and dispatches, the
        // patroller accepts one and handles another.
        let directory = DirectoryStore(db: app.db)
        guard let dispatchUser = try await directory.user(username: "steward-dispatch"),
              let dispatcher = try await directory.actor(userID: dispatchUser.id, now: app.clock.now) else { return }
        let steps: [(index: Int, actions: [(CaseAction, Bool)])] = [
            (3, [(.file, false), (.dispatch, false), (.accept, true)]),
            (4, [(.file, false), (.dispatch, false), (.accept, true), (.handle, true)]),
            (6, [(.file, false), (.dispatch, false)]),
        ]
        var residentCases: [Case] = []
        let facilities = reference.facilities.values.sorted { $0.code < $1.code }
        for (i, key) in residentFormKeys.enumerated() {
            guard let facility = facilities.first(where: { $0.componentCode == (i == 0 ? "03001" : "01037") }) else { continue }
            let report = CaseReport(category: facility.reportCategory, position: nil, placeCode: facility.code,
                                    description: i == 0 ? "公厕洗手池堵塞，地面积水" : "这盏路灯晚上不亮", urgency: nil)
            let input = ReportCase.Input(report: report, source: .resident, idempotencyKey: "portal:\(key)", reporterName: "居民 138****8000",
                                         resident: .init(phone: ContactNumber.read(residentPhone), language: .zhHans, formKey: key))
            residentCases.append(try await ReportCase(app: app).run(input, actor: nil, now: app.clock.now).saved)
        }
        if let first = residentCases.first {
            for (action, byPatrol) in [(CaseAction.file, false), (.dispatch, false), (.accept, true), (.handle, true), (.passVerification, false), (.close, false)] {
                _ = try await ActOnCase(app: app).run(caseID: first.id, input: Self.input(action, note: "已疏通"),
                                                      actor: byPatrol ? actor : dispatcher, now: app.clock.now)
            }
        }
        for step in steps where step.index < created.count {
            for (action, byPatrol) in step.actions {
                _ = try await ActOnCase(app: app).run(caseID: created[step.index].id,
                                                      input: Self.input(action, note: "已清理完毕"),
                                                      actor: byPatrol ? actor : dispatcher, now: app.clock.now)
            }
        }
    }

    /// A demo step; handling leaves what the class asks for on record (a note of what was done, a photo after).
    private static func input(_ action: CaseAction, note: String) -> ActOnCase.Input {
        guard action == .handle else { return ActOnCase.Input(action: action) }
        return ActOnCase.Input(action: action, note: note, photos: [(DemoPhoto.png(width: 320, height: 240), .after)])
    }
}
