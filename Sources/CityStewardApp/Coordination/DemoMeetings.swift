import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's coordination: last month's monthly meeting of the district office, minuted, with one action item done
/// and one for the steward overdue — supervised (督办) by the sweep — and next week's meeting, planned, carrying the
/// overdue one forward.
enum DemoMeetings {
    static func load(_ app: Application) async throws -> Bool {
        let db = app.db, now = app.clock.now
        let store = MeetingStore(db: db)
        guard try await store.list(limit: 1).isEmpty else { return false }
        let reference = try await app.caseReference.get(db)
        guard let district = reference.district, let steward = reference.orgs.values.first(where: { $0.code == "LH-STEWARD-01" }),
              let minzhi = reference.areasByCode["440309002"], let office = reference.streetOffices[minzhi.id] else { return false }
        let convener = reference.districtOffice.id
        let invited = [convener, office.id, steward.id] + reference.departments.values.prefix(2).map(\.id)
        let calendar = reference.calendar
        // Three weeks ago on a working day, at 9:30.
        var day = LocalDate.beijing(now).adding(days: -21)
        while !calendar.isWorkingDay(day) { day = day.adding(days: 1) }
        let held = day.beijingMidnight.addingTimeInterval(9.5 * 3600)
        let last = Meeting(id: UUID(), kind: .districtMonthly, title: "城市管家月度协调会（\(day.month) 月）", areaID: district.id, convenedBy: convener, heldAt: held,
                           place: "区城管和综合执法局三楼会议室", invited: invited,
                           agenda: [AgendaItem(title: "松仔园村口停车与消防通道", links: [AgendaLink(kind: .village, ref: DemoActivities.village)]),
                                    AgendaItem(title: "本年度考核进展", links: [AgendaLink(kind: .assessment, ref: String(day.year))])],
                           createdBy: nil, createdAt: held.addingTimeInterval(-7 * 86_400))
        _ = try await store.create(last)
        // Due a week after the meeting (working days): overdue by now.
        var due = day.adding(days: 7)
        while !calendar.isWorkingDay(due) { due = due.adding(days: 1) }
        var other = day.adding(days: 5)
        while !calendar.isWorkingDay(other) { other = other.adding(days: 1) }
        let minutes = MeetingMinutes(attended: invited, decisions: ["松仔园村口划定临时停车位，消防通道两侧划禁停线", "各街道本月底前报送考核自查情况"],
                                     minutes: "会议听取了松仔园村口停车与消防通道问题的汇报，研究了本年度考核进展，议定事项如下。",
                                     actions: [(title: "松仔园村口划定临时停车位和禁停线", owner: steward.id, due: due),
                                               (title: "报送民治街道考核自查情况", owner: office.id, due: other)])
        _ = try await store.minute(last, minutes, at: held.addingTimeInterval(3 * 3600))
        if let report = try await store.items(of: last.id).own.first(where: { $0.ownerOrg == office.id }) {
            _ = try await store.complete(report.id, by: nil, note: "自查报告已报送区专项工作组办公室", at: held.addingTimeInterval(4 * 86_400))
        }
        // Escalated as the sweep would have on the way (reminded, then supervised).
        try await ActionItemSweeper.sweep(app, now: now)
        // Next week's meeting, planned: the open item comes with it.
        var next = LocalDate.beijing(now).adding(days: 7)
        while !calendar.isWorkingDay(next) { next = next.adding(days: 1) }
        _ = try await store.create(Meeting(id: UUID(), kind: .districtMonthly, title: "城市管家月度协调会（\(next.month) 月）", areaID: district.id, convenedBy: convener,
                                           heldAt: next.beijingMidnight.addingTimeInterval(9.5 * 3600), place: "区城管和综合执法局三楼会议室", invited: invited,
                                           agenda: [AgendaItem(title: "上月交办任务落实情况", links: [])], createdBy: nil, createdAt: now))
        return true
    }
}
