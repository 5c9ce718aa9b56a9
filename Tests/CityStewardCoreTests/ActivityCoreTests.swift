import CityStewardCore
import Foundation
import Testing

/// Activities for residents: the organiser's input by field, signing up (capacity, closing, the same phone twice),
/// checking in (window, position, walk-ins), the report, themes, times as typed, and who organises, manages and sees
/// them as a role × action × scope table.
@Suite("Activities: rules and access")
struct ActivityCoreTests {
    let district = UUID(), street = UUID(), otherStreet = UUID(), village = UUID(), otherVillage = UUID()
    var paths: [UUID: [UUID]] {
        [district: [district], street: [district, street], village: [district, street, village], otherVillage: [district, otherStreet, otherVillage]]
    }
    /// 2026-12-07 10:00 Beijing.
    let now = BeijingTime.parse("2026-12-07 10:00")!
    let here = GeoPoint(lat: 22.6301, long: 114.0402)
    let box = GeoBox(minLat: 22.62, minLong: 114.03, maxLat: 22.64, maxLong: 114.05)

    func input(title: String = "客家文化节", starts: String = "2026-12-10 09:00", ends: String = "2026-12-10T11:30", lat: String = "22.6301",
               long: String = "114.0402", radius: String = "", capacity: String = "30", organiser: String = "民治社区党委") -> ActivityInput {
        ActivityInput(kind: .villageTheme, title: title, description: "舞麒麟、客家山歌表演。", place: "村委会广场", lat: lat, long: long, radius: radius,
                      startsAt: starts, endsAt: ends, organiser: organiser, capacity: capacity)
    }

    func fields(_ r: Result<ActivityDraft, FieldProblems>) -> [String] {
        if case .failure(let p) = r { return p.problems.map(\.field) }
        return []
    }

    @Test func timesAreReadOnBeijingsClockOrTheirOwnZone() {
        #expect(BeijingTime.parse("2026-12-10 09:00") == BeijingTime.parse("2026-12-10T01:00:00Z"))
        #expect(BeijingTime.parse("2026-12-10T09:00:00+08:00") == BeijingTime.parse("2026-12-10T09:00"))
        #expect(BeijingTime.parse("2026-12-10T09:00:30.5+0800")!.timeIntervalSince(BeijingTime.parse("2026-12-10T09:00")!) == 30)
        #expect(BeijingTime.parse("2026-12-10T03:00-05:00") == BeijingTime.parse("2026-12-10 16:00"))
        for bad in ["", "2026-12-10", "2026-12-10 9:00", "2026-12-10 24:00", "2026-13-01 10:00", "2026-12-10 10:00 tomorrow", "2026-12-10T10:61"] {
            #expect(BeijingTime.parse(bad) == nil, "\(bad)")
        }
        #expect(BeijingTime.inputValue(BeijingTime.parse("2026-12-10 09:05")!) == "2026-12-10T09:05")
    }

    @Test func theOrganisersInputIsCheckedByField() {
        let ok = ActivityRules.validate(input(title: " 客家文化节 "), village: village, box: box, now: now)
        guard case .success(let d) = ok else { Issue.record("\(ok)"); return }
        #expect(d.title == "客家文化节" && d.capacity == 30 && d.radiusMetres == ActivityRules.defaultRadius && d.position == here)
        #expect(d.startsAt == BeijingTime.parse("2026-12-10 09:00") && d.endsAt.timeIntervalSince(d.startsAt) == 9_000)
        #expect(fields(ActivityRules.validate(input(title: "节"), village: village, box: box, now: now)) == ["title"])
        #expect(fields(ActivityRules.validate(input(), village: nil, box: box, now: now)) == ["area"])
        #expect(fields(ActivityRules.validate(input(lat: "north"), village: village, box: box, now: now)) == ["position"])
        #expect(fields(ActivityRules.validate(input(lat: "22.70"), village: village, box: box, now: now)) == ["position"], "outside the village")
        #expect(fields(ActivityRules.validate(input(radius: "5"), village: village, box: box, now: now)) == ["radius"])
        #expect(fields(ActivityRules.validate(input(capacity: "0"), village: village, box: box, now: now)) == ["capacity"])
        #expect(fields(ActivityRules.validate(input(capacity: ""), village: village, box: box, now: now)).isEmpty, "no limit")
        #expect(fields(ActivityRules.validate(input(organiser: " "), village: village, box: box, now: now)) == ["organiser"])
        #expect(fields(ActivityRules.validate(input(starts: "next week"), village: village, box: box, now: now)) == ["startsAt"])
        #expect(fields(ActivityRules.validate(input(starts: "2026-12-06 09:00"), village: village, box: box, now: now)) == ["startsAt"], "in the past")
        #expect(fields(ActivityRules.validate(input(starts: "2026-12-07 09:30", ends: "2026-12-07 11:00"), village: village, box: box, now: now)).isEmpty,
                "entered as it begins: within the hour's grace")
        #expect(fields(ActivityRules.validate(input(starts: "2028-01-20 09:00", ends: "2028-01-20 10:00"), village: village, box: box, now: now)) == ["startsAt"])
        #expect(fields(ActivityRules.validate(input(ends: "2026-12-10 08:00"), village: village, box: box, now: now)) == ["endsAt"])
        #expect(fields(ActivityRules.validate(input(ends: "2027-02-10 08:00"), village: village, box: box, now: now)) == ["endsAt"], "more than a month")
        #expect(fields(ActivityRules.validate(input(title: "", starts: "", lat: ""), village: nil, box: box, now: now)) == ["title", "area", "position", "startsAt"])
    }

    func activity(capacity: Int? = 2, signedUp: Int = 0, starts: String = "2026-12-10 09:00", ends: String = "2026-12-10 11:00") -> Activity {
        Activity(id: UUID(), kind: .villageTheme, title: "t", description: "d", areaID: village, place: "p", position: here, radiusMetres: 100,
                 startsAt: BeijingTime.parse(starts)!, endsAt: BeijingTime.parse(ends)!, organiser: "o", orgID: nil, capacity: capacity, checkinCode: "ABCDEFGH",
                 createdBy: nil, createdAt: now, signedUp: signedUp)
    }

    @Test func signingUpTakesAPlaceUntilTheStart() {
        var a = activity()
        #expect(ActivityRules.decideSignup(a, alreadySignedUp: false, now: now) == .signUp)
        #expect(ActivityRules.decideSignup(a, alreadySignedUp: true, now: now) == .already, "the same phone twice is one sign-up")
        a.signedUp = 2
        #expect(a.placesLeft == 0)
        guard case .refused = ActivityRules.decideSignup(a, alreadySignedUp: false, now: now) else { Issue.record("full"); return }
        #expect(ActivityRules.decideSignup(a, alreadySignedUp: true, now: now) == .already, "one already signed up is told so even when full")
        a.capacity = nil
        #expect(a.placesLeft == nil && ActivityRules.decideSignup(a, alreadySignedUp: false, now: now) == .signUp, "no limit")
        guard case .refused = ActivityRules.decideSignup(a, alreadySignedUp: false, now: a.startsAt) else { Issue.record("started"); return }
        a.cancelledAt = now
        guard case .refused = ActivityRules.decideSignup(a, alreadySignedUp: true, now: now) else { Issue.record("cancelled"); return }
        #expect(a.status(at: now) == .cancelled)
        let v = ActivityRules.validateSignup(name: " 张三 ", phone: "138 0013 8000")
        guard case .success(let s) = v else { Issue.record("\(v)"); return }
        #expect(s.name == "张三" && s.phone.e164 == "+8613800138000")
        if case .failure(let p) = ActivityRules.validateSignup(name: "", phone: "12345") { #expect(p.problems.map(\.field) == ["name", "phone"]) } else { Issue.record("bad") }
    }

    @Test func aCheckInIsJudgedByTheWindowAndThePosition() {
        let a = activity()
        func decide(_ p: GeoPoint?, accuracy: Double? = 10, at: String, signedUp: Bool = true, checkedIn: Bool = false, device: Date? = nil) -> ActivityCheckinDecision {
            ActivityRules.decideCheckin(a, report: CheckinReport(position: p, accuracy: accuracy, deviceTime: device), signedUp: signedUp, checkedIn: checkedIn,
                                        now: BeijingTime.parse(at)!)
        }
        guard case .refused = decide(here, at: "2026-12-10 08:29") else { Issue.record("too early"); return }
        #expect(decide(here, at: "2026-12-10 08:30") == .checkIn(flags: [], walkIn: false), "half an hour before the start")
        #expect(decide(here, at: "2026-12-10 11:30") == .checkIn(flags: [], walkIn: false), "half an hour after the end")
        guard case .refused = decide(here, at: "2026-12-10 11:31") else { Issue.record("too late"); return }
        let far = GeoPoint(lat: here.lat + 0.002, long: here.long)   // ~222 m north
        #expect(decide(far, at: "2026-12-10 09:10") == .checkIn(flags: [.outsideRadius], walkIn: false), "flagged, not refused")
        #expect(decide(GeoPoint(lat: here.lat + 0.0015, long: here.long), accuracy: 100, at: "2026-12-10 09:10") == .checkIn(flags: [], walkIn: false),
                "within the radius and the accuracy (~167 m; 100 + 100)")
        #expect(decide(nil, at: "2026-12-10 09:10") == .checkIn(flags: [.noPosition], walkIn: false))
        #expect(decide(nil, at: "2026-12-10 09:10", signedUp: false) == .checkIn(flags: [.noPosition], walkIn: true))
        #expect(decide(here, at: "2026-12-10 09:10", device: BeijingTime.parse("2026-12-10 08:00")) == .checkIn(flags: [.clockSkew], walkIn: false))
        #expect(decide(here, at: "2026-12-10 09:10", checkedIn: true) == .already)
    }

    @Test func theReportComesAfterTheStartAndCountsNothingTyped() {
        var a = activity()
        if case .success = ActivityRules.validateReport(a, outcome: "共有三十位居民参加，效果良好。", now: now) { Issue.record("before it started") }
        let after = BeijingTime.parse("2026-12-10 12:00")!
        #expect(a.status(at: after) == .awaitingReport && a.status(at: BeijingTime.parse("2026-12-10 10:00")!) == .ongoing && a.status(at: now) == .upcoming)
        if case .failure(let p) = ActivityRules.validateReport(a, outcome: "好", now: after) { #expect(p.problems.map(\.field) == ["outcome"]) } else { Issue.record("too short") }
        if case .success(let text) = ActivityRules.validateReport(a, outcome: " 舞麒麟表演吸引了很多居民。 ", now: after) {
            #expect(text == "舞麒麟表演吸引了很多居民。")
        } else { Issue.record("a good report") }
        a.cancelledAt = now
        if case .success = ActivityRules.validateReport(a, outcome: "舞麒麟表演吸引了很多居民。", now: after) { Issue.record("cancelled") }
        #expect(ActivityRules.validateCancellation(reason: "") != nil && ActivityRules.validateCancellation(reason: "台风预警") == nil)
    }

    @Test func aThemeIsForThisYearOrNext() {
        if case .failure = VillageTheme.validate(name: "客家文化", summary: "", year: 2027, village: village, thisYear: 2026) { Issue.record("next year") }
        if case .failure(let p) = VillageTheme.validate(name: "客", summary: String(repeating: "字", count: 501), year: 2025, village: nil, thisYear: 2026) {
            #expect(Set(p.problems.map(\.field)) == ["name", "summary", "area", "year"])
        } else { Issue.record("bad") }
    }

    func actor(_ role: Role) -> (Actor, UUID?) {
        let org: UUID? = role == .resident ? nil : UUID()
        let areas: [UUID] = switch role {
        case .districtAdmin, .auditor: [district]
        case .streetOfficer: [street]
        case .stewardDispatcher, .stewardStaff: [village]
        case .departmentOfficer, .dataConsumer, .resident: []
        }
        let kind: OrgKind = switch role {
        case .districtAdmin, .auditor: .districtOffice
        case .streetOfficer: .streetOffice
        case .stewardDispatcher, .stewardStaff: .steward
        default: .department
        }
        let o = org.map { Org(id: $0, code: "O", name: "单位", nameEn: nil, kind: kind) }
        let user = User(id: UUID(), username: role.rawValue, displayName: role.rawValue, role: role, orgID: org, isActive: true)
        return (Actor(user: user, org: o, orgAreas: areas, keyScopes: nil), org)
    }

    /// Who organises where, who cancels and reports (the organising organisation, the district office any), who sees.
    @Test func whoOrganisesManagesAndSees() {
        let p = paths
        let expected: [Role: (village: Bool, otherVillage: Bool, managesOthers: Bool, sees: Bool, seesFar: Bool)] = [
            .districtAdmin: (true, true, true, true, true), .departmentOfficer: (true, true, false, true, true),
            .streetOfficer: (true, false, false, true, false), .stewardDispatcher: (true, false, false, true, false),
            .stewardStaff: (false, false, false, false, false), .resident: (false, false, false, false, false),
            .dataConsumer: (false, false, false, false, false), .auditor: (false, false, false, true, true),
        ]
        #expect(Set(expected.keys) == Set(Role.allCases))
        for (role, e) in expected {
            let (a, org) = actor(role)
            var own = activity(), others = activity(), far = activity()
            own.orgID = org
            others.orgID = UUID()
            far.orgID = UUID()
            far.areaID = otherVillage
            #expect(ActivityAccess.mayOrganise(a, villagePath: p[village]!) == e.village, "\(role) organises in its village")
            #expect(ActivityAccess.mayOrganise(a, villagePath: p[otherVillage]!) == e.otherVillage, "\(role) in another street's village")
            #expect(ActivityAccess.mayManage(a, own, villagePath: p[village]!) == e.village, "\(role) manages its own")
            #expect(ActivityAccess.mayManage(a, others, villagePath: p[village]!) == e.managesOthers, "\(role) manages another's")
            #expect(ActivityAccess.maySee(a, others, villagePath: p[village]!) == e.sees, "\(role) sees one in the village")
            #expect(ActivityAccess.maySee(a, far, villagePath: p[otherVillage]!) == e.seesFar, "\(role) sees one in another street")
        }
    }
}
