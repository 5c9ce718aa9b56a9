import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's deliberation in 松仔园村: a resident's item from the portal, met on by the parties and decided — a case
/// for the steward — two days ago; another resident's item waiting to be taken up; and last month's small livelihood
/// project, closed with its cost.
enum DemoDeliberations {
    static func load(_ app: Application) async throws -> Bool {
        let db = app.db, now = app.clock.now
        let reference = try await app.caseReference.get(db)
        let store = DeliberationStore(db: db)
        guard let village = reference.areasByCode[DemoActivities.village], let street = village.streetID,
              try await store.list(under: nil, org: nil, village: village.id, limit: 1).isEmpty,
              let steward = reference.orgs.values.first(where: { $0.code == "LH-STEWARD-01" }) else { return false }
        let office = reference.streetOffices[street]
        let cipher = app.fieldCipher
        func contact(_ name: String, _ phone: String) throws -> DeliberationStore.ResidentContact {
            let number = PhoneNumber.parse(phone)!
            return .init(nameSealed: try cipher.seal(name), nameMasked: Masking.name(name), phoneSealed: try cipher.seal(number.sealedForm), phoneMasked: number.masked,
                         receiptHash: ActivitiesService.receiptHash(ActivitiesService.newToken()))
        }
        func step(_ item: DeliberationItem, _ action: DeliberationAction, at: Date, madeCase: (id: UUID, number: String)? = nil) async throws -> DeliberationItem {
            guard case .success(let change) = DeliberationRules.decide(item, action, organisations: [steward.id], now: at) else { return item }
            _ = try await store.apply(change, from: item, action: action.name, actor: nil, actorName: office?.name ?? "街道办事处", at: at, madeCase: madeCase)
            return try await store.find(item.id) ?? change.item
        }
        let parties = ["松仔园社区党支部", office?.name ?? "民治街道办事处", steward.name, "松仔园股份合作公司", "居民代表"]
        // Decided two days ago: a case for the steward.
        let days = { (n: Double) in now.addingTimeInterval(-n * 86_400) }
        var parking = try await store.create(DeliberationRaise(title: "村口傍晚车辆乱停，消防通道被堵", description: "每天傍晚村口车辆乱停，消防通道被堵，老人小孩出行不便，希望统一规划停车。",
                                                               source: .resident, microProject: false, budgetFen: nil),
                                             area: village.id, path: village.path, by: nil, actorName: "居民", contact: try contact("陈美玲", "13800138301"), at: days(6))
        parking = try await step(parking, .schedule(at: BeijingTime.inputValue(days(3)), place: "松仔园社区党群服务中心", parties: parties), at: days(5))
        let decision = "村口划定临时停车位，消防通道两侧划禁停线；城市管家每晚 18–21 时巡查劝导，一周内完成。"
        let made = try await ReportCase(app: app).run(.init(report: CaseReport(category: "06028", position: nil, placeCode: village.code,
                                                                               description: "议事决定 \(parking.number)：\(parking.title)。\(decision)", urgency: nil),
                                                            source: .deliberation, reporterName: "议事协调 \(parking.number)"), actor: nil, now: days(2.9))
        parking = try await step(parking, .decide(opinions: [DeliberationOpinion(party: "松仔园社区党支部", text: "同意在村口划定临时停车位"),
                                                             DeliberationOpinion(party: "松仔园股份合作公司", text: "提供村口空地作临时停车场"),
                                                             DeliberationOpinion(party: "居民代表", text: "希望晚上有人管")],
                                                  decision: decision, carriedOutBy: steward.id, dueDate: LocalDate.beijing(now).adding(days: 4).description, budgetFen: nil),
                                 at: days(2.9), madeCase: (made.saved.id, made.saved.number))
        // Waiting to be taken up.
        _ = try await store.create(DeliberationRaise(title: "希望在文化广场增设儿童游乐设施", description: "文化广场晚上孩子很多，但没有游乐设施，希望增设滑梯和秋千。",
                                                     source: .resident, microProject: false, budgetFen: nil),
                                   area: village.id, path: village.path, by: nil, actorName: "居民", contact: try contact("黄志强", "13800138302"), at: days(1))
        // Last month's small livelihood project, done.
        var lights = try await store.create(DeliberationRaise(title: "东区楼道加装声控照明", description: "东区 1~12 栋楼道夜间无照明，老人上下楼不便，提请作为民生微实事项目实施。",
                                                              source: .partyCommittee, microProject: true, budgetFen: 4_800_000),
                                            area: village.id, path: village.path, by: nil, actorName: office?.name ?? "街道办事处", contact: nil, at: days(40))
        lights = try await step(lights, .schedule(at: BeijingTime.inputValue(days(36)), place: "松仔园社区党群服务中心", parties: parties), at: days(39))
        lights = try await step(lights, .decide(opinions: [DeliberationOpinion(party: "居民代表", text: "同意，尽快施工")], decision: "东区 12 栋楼道加装声控灯 36 盏，城市管家负责施工。",
                                                carriedOutBy: steward.id, dueDate: LocalDate.beijing(days(36)).adding(days: 20).description, budgetFen: 4_800_000), at: days(35))
        _ = try await step(lights, .close(outcome: "已加装声控灯 36 盏，居民代表验收通过，夜间楼道照明恢复。", spentFen: 4_560_000), at: days(18))
        return true
    }
}
