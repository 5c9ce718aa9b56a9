import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// The demo's activities in 松仔园村 (its theme this year is Hakka culture): the theme activity starting within the
/// half hour (sign-up open, check-in already open at the place), next month's theme activity, a party-building day, a
/// safety talk last week with its report and attendance, and a few residents signed up (sealed with the data folder's
/// key).
enum DemoActivities {
    static let village = "440309002001V01"

    /// The demo residents' phone numbers signed up for the theme activity.
    static let phones = ["13800138101", "13800138102", "13800138103"]

    static func load(_ app: Application) async throws -> Bool {
        let db = app.db, now = app.clock.now
        let store = ActivityStore(db: db)
        let reference = try await app.caseReference.get(db)
        guard let area = reference.areasByCode[village], let street = area.streetID,
              try await store.list(under: nil, org: nil, village: area.id, limit: 1).isEmpty,
              let centre = try await AreaStore(db: db).find(code: village)?.shape?.boundingBox?.centre else { return false }
        let office = reference.streetOffices[street]?.id
        let steward = reference.orgs.values.first { $0.code == "LH-STEWARD-01" }?.id
        let year = LocalDate.beijing(now).year
        try await store.setTheme(VillageTheme(areaID: area.id, year: year, name: "客家文化", summary: "舞麒麟、客家山歌、围屋故事：老村新貌里的客家味道。",
                                              setBy: nil, setAt: now))
        // On the next five minutes, 25 minutes from now.
        let soon = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 + 25 * 60) / 300).rounded(.up) * 300)
        func activity(_ kind: ActivityKind, _ title: String, _ description: String, place: String, starts: Date, hours: Double, organiser: String,
                      org: UUID?, capacity: Int?) -> Activity {
            Activity(id: UUID(), kind: kind, title: title, description: description, areaID: area.id, place: place,
                     position: GeoPoint(lat: centre.lat, long: centre.long), radiusMetres: 150, startsAt: starts, endsAt: starts.addingTimeInterval(hours * 3600),
                     organiser: organiser, orgID: org, capacity: capacity, checkinCode: PatrolService.newCode(), createdBy: nil, createdAt: now)
        }
        let theme = activity(.villageTheme, "客家麒麟舞体验夜", "松仔园村一村一色主题活动：麒麟舞队现场教学，居民可上手体验舞麒麟。\n另有客家擂茶品尝。老少皆宜，请穿便于活动的衣服。",
                             place: "松仔园村委会广场", starts: soon, hours: 2, organiser: "松仔园社区党支部", org: office, capacity: 40)
        let upcoming = [
            theme,
            activity(.villageTheme, "客家山歌擂台", "邀请村内山歌爱好者同台对歌，欢迎报名参赛或到场观看。", place: "松仔园村文化广场",
                     starts: soon.addingTimeInterval(21 * 86_400), hours: 3, organiser: "松仔园社区党支部", org: office, capacity: 60),
            activity(.partyBuilding, "党员志愿服务日：楼道清理", "党员带头清理楼道堆物，消除消防隐患。请自带手套。", place: "松仔园村东区 1~12 栋",
                     starts: soon.addingTimeInterval(5 * 86_400), hours: 2, organiser: "松仔园社区党支部", org: office, capacity: nil),
        ]
        for a in upcoming { try await store.create(a, path: area.path) }
        let cipher = app.fieldCipher
        for (i, phone) in phones.enumerated() {
            guard let number = PhoneNumber.parse(phone) else { continue }
            let name = ["陈美玲", "黄志强", "刘芳"][i]
            let row = ActivitySignupRow(id: UUID(), activityId: theme.id, nameSealed: try cipher.seal(name), nameMasked: Masking.name(name),
                                        phoneSealed: try cipher.seal(number.sealedForm), phoneMasked: number.masked, phoneIndex: cipher.blindIndex(number.e164),
                                        receiptHash: ActivitiesService.receiptHash(ActivitiesService.newToken()), walkIn: false,
                                        signedUpAt: now.addingTimeInterval(Double(-3600 * (i + 1))))
            _ = try await store.signUp(row, replacing: nil, now: now)
        }
        // Last week's safety talk, held and reported: its attendance is its check-ins.
        var held = activity(.safety, "电动自行车安全充电讲座", "消防站讲解电动自行车火灾的成因和安全充电要点。", place: "松仔园村集中充电点",
                            starts: LocalDate.beijing(now).adding(days: -6).beijingMidnight.addingTimeInterval(19 * 3600), hours: 1.5,
                            organiser: "龙华城市管家（松仔园项目部）", org: steward, capacity: 30)
        held.signedUp = 9   // the nine below who signed up; three more came on the day
        try await store.create(held, path: area.path)
        for i in 0..<12 {
            let number = PhoneNumber.parse("1380013\(8200 + i)")!
            let name = ["张", "王", "李", "赵", "周", "吴"][i % 6] + "居民"
            let at = held.startsAt.addingTimeInterval(Double(60 * (i - 5)))
            let row = ActivitySignupRow(id: UUID(), activityId: held.id, nameSealed: try cipher.seal(name), nameMasked: Masking.name(name),
                                        phoneSealed: try cipher.seal(number.sealedForm), phoneMasked: number.masked, phoneIndex: cipher.blindIndex(number.e164),
                                        receiptHash: ActivitiesService.receiptHash(ActivitiesService.newToken()), walkIn: i >= 9, signedUpAt: at)
            let report = CheckinReport(position: GeoPoint(lat: centre.lat + Double(i) * 0.00002, long: centre.long), accuracy: 12, deviceTime: at)
            _ = try await store.checkIn(signup: row, isNew: true, evidence: .init(report: report, flags: []), at: at)
        }
        _ = try await store.report(held.id, outcome: "消防站讲解了电动自行车火灾案例和充电要点，现场演示灭火器使用，居民提问踊跃。会后登记了 5 处楼道充电隐患，已立案整改。",
                                   photos: [], by: nil, at: held.endsAt.addingTimeInterval(3600))
        return true
    }
}
