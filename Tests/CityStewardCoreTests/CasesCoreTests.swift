import CityStewardCore
import CityStewardTestSupport
import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let taxonomy: Taxonomy = try! TaxonomyData.decode(try! Data(contentsOf: root.appendingPathComponent("Resources/Taxonomy/taxonomy.json")))
private let calendar: WorkingCalendar = try! WorkingCalendarData.decode(try! Data(contentsOf: root.appendingPathComponent("Resources/Calendars/china-holidays.json")))

private func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

@Suite("Taxonomy")
struct TaxonomyTests {
    @Test func theShippedFileHoldsTheNationalScheme() throws {
        #expect(taxonomy.categories.filter { $0.kind == .component }.count == 153)
        #expect(taxonomy.categories.filter { $0.kind == .event }.count == 250)
        let garbage = try #require(taxonomy.eventCategory("06010"))
        #expect(garbage.name == "暴露垃圾" && garbage.nameEn == "Exposed garbage")
        #expect(garbage.limit(.normal) == TimeLimit(amount: 4, unit: .workingHours, isDefault: true, basis: garbage.limit(.normal)?.basis))
        #expect(garbage.limit(.normal)?.isDefault == true)
        #expect(garbage.matter == "M-SAN-01" && garbage.ownerDepartment == "LH-CGJ" && !garbage.beyondStewardAuthority)
        let construction = try #require(taxonomy.eventCategory("06001"))
        #expect(construction.beyondStewardAuthority && construction.matter == nil)
        // Every matter class has both limits; every category a group and an English name.
        for c in taxonomy.categories where c.kind == .event {
            #expect(c.limit(.normal) != nil && c.limits[.urgent] != nil, "\(c.code)")
            #expect(!c.nameEn.isEmpty && c.nameEn != c.name, "\(c.code)")
            #expect(c.problems(knownDepartments: Set(taxonomy.categories.compactMap(\.ownerDepartment)), knownMatters: Set(taxonomy.matters.map(\.code))).isEmpty, "\(c.code)")
        }
    }

    /// 谁委托谁监管: a class in an entrustable matter belongs to the department that entrusts the matter, so that
    /// department's officers see its cases in every street.
    @Test func matterClassesBelongToTheEntrustingDepartment() throws {
        for matter in taxonomy.matters {
            #expect(!matter.categories.isEmpty, "\(matter.code)")
            for code in matter.categories {
                #expect(taxonomy.eventCategory(code)?.ownerDepartment == matter.ownerDepartment, "\(code) in \(matter.code)")
            }
        }
        #expect(taxonomy.eventCategory("06005")?.ownerDepartment == "LH-ZJJ")   // property services: housing bureau
    }

    @Test func legacyCodesAndDeviceEventsMapToCurrentClasses() {
        #expect(taxonomy.fromLegacy("0102")?.code == "06010")      // GB/T 30428.2-style 事件 01 02 暴露垃圾
        #expect(taxonomy.fromLegacy("01-10")?.code == "06010")     // MM-NN coding
        #expect(taxonomy.fromLegacy("0407")?.code == "10001")      // renamed by hand: 道路积雪结冰
        #expect(taxonomy.fromLegacy("9999") == nil)
        #expect(taxonomy.deviceEvent(vendor: "dahua", code: "890")?.code == "06010")
        #expect(taxonomy.deviceEvent(vendor: nil, code: "垃圾箱满溢")?.code == "06042")
        #expect(taxonomy.deviceEvent(vendor: "dahua", code: "000") == nil)
    }

    @Test func editsAreCheckedBeforeSaving() {
        var c = taxonomy.eventCategory("06010")!
        c.limits[.normal] = TimeLimit(amount: -1, unit: .workingHours)
        c.ownerDepartment = "LH-NOPE"
        c.beyondStewardAuthority = true
        let fields = c.problems(knownDepartments: ["LH-CGJ"], knownMatters: ["M-SAN-01"]).map(\.field)
        #expect(fields.contains("limits.normal") && fields.contains("ownerDepartment") && fields.contains("matter"))
    }

    @Test func deadlinesRunOnTheWorkingCalendar() {
        // Wednesday 30 September 2026, 16:00 Beijing: 2 working hours that day, then the National Day holiday
        // (1–7 October), so the remaining 2 hours fall on Thursday 8 October 09:00–11:00.
        let garbage = taxonomy.eventCategory("06010")!
        #expect(garbage.limit(.normal)!.deadline(from: at("2026-09-30T16:00:00+08:00"), on: calendar) == at("2026-10-08T11:00:00+08:00"))
        // Calendar hours ignore the calendar: 露天烧烤 2 hours.
        let barbecue = taxonomy.eventCategory("06029")!
        #expect(barbecue.limit(.normal)!.deadline(from: at("2026-10-01T20:00:00+08:00"), on: calendar) == at("2026-10-01T22:00:00+08:00"))
        // Saturday 10 October 2026 is a swapped working day.
        #expect(garbage.limit(.normal)!.deadline(from: at("2026-10-09T17:00:00+08:00"), on: calendar) == at("2026-10-10T12:00:00+08:00"))
        #expect(calendar.isProvisional(year: 2027) && !calendar.isProvisional(year: 2026))
    }
}

@Suite("Case workflow: clock, requests, escalation")
struct CaseClockTests {
    let actor = UUID()
    let start = at("2026-03-02T09:00:00+08:00")   // Monday
    let due = at("2026-03-02T14:00:00+08:00")     // a fixed disposal deadline for these cases

    func snapshot(_ state: CaseState) -> CaseSnapshot {
        CaseSnapshot(state: state, urgency: .normal, reportedAt: start, deadline: due, stepDue: due)
    }

    @Test func postponementNeedsApprovalAndMovesTheDeadline() throws {
        var s = snapshot(.accepted)
        s = try CaseWorkflow.decide(.requestPostpone, on: s, as: [.handler], by: actor, input: .init(note: "等待配件", hours: 8), now: start, calendar: calendar)
        #expect(s.pending == .postpone && s.pendingHours == 8 && s.deadline == due)
        // A second request while one waits is a conflict; the handler cannot approve its own request.
        #expect(throws: DomainError.self) { try CaseWorkflow.decide(.requestSuspend, on: s, as: [.handler], by: actor, input: .init(note: "x"), now: start, calendar: calendar) }
        #expect(throws: DomainError.self) { try CaseWorkflow.decide(.approvePostpone, on: s, as: [.handler], by: actor, input: .init(), now: start, calendar: calendar) }
        let approved = try CaseWorkflow.decide(.approvePostpone, on: s, as: [.approver], by: actor, input: .init(), now: start, calendar: calendar)
        // 8 working hours after Monday 14:00: Monday 14–18 (4 h) + Tuesday 09–12 (3 h) + 14–15 (1 h).
        #expect(approved.deadline == at("2026-03-03T15:00:00+08:00"))
        #expect(approved.pending == nil && approved.stepDue == approved.deadline)
        #expect(CaseWorkflow.available(on: s, as: [.approver]).contains(.approvePostpone))
        #expect(!CaseWorkflow.available(on: approved, as: [.approver]).contains(.approvePostpone))
        // Out-of-range hours are refused with the field named.
        do {
            _ = try CaseWorkflow.decide(.requestPostpone, on: snapshot(.accepted), as: [.handler], by: actor, input: .init(note: "x", hours: 0), now: start, calendar: calendar)
            Issue.record("0 hours accepted")
        } catch { #expect(error == .invalid(field: "hours", error.message)) }
    }

    @Test func suspensionStopsTheClock() throws {
        var s = snapshot(.accepted)
        s = try CaseWorkflow.decide(.suspend, on: s, as: [.approver], by: actor, input: .init(note: "等待燃气公司"), now: at("2026-03-02T10:00:00+08:00"), calendar: calendar)
        #expect(s.state == .suspended && s.stepDue == nil && s.resumeState == .accepted)
        #expect(CaseWorkflow.escalationLevel(stepDue: s.stepDue, now: at("2026-03-09T10:00:00+08:00"), calendar: calendar) == 0)
        // Resumed the next day at 10:00: 7 working hours passed (Mon 10–12, 14–18; Tue 09–10), so the deadline moves by 7.
        let resumed = try CaseWorkflow.decide(.resume, on: s, as: [.approver], by: actor, input: .init(), now: at("2026-03-03T10:00:00+08:00"), calendar: calendar)
        #expect(resumed.state == .accepted)
        #expect(resumed.deadline == calendar.adding(workingHours: 7, to: due))
        #expect(resumed.deadline == at("2026-03-03T12:00:00+08:00"))   // Mon 14–18 (4 h) + Tue 09–12 (3 h)
    }

    @Test func stepsSetTheirDueTimes() throws {
        var s = CaseSnapshot(state: .reported, urgency: .urgent, reportedAt: start, deadline: due, stepDue: StepLimits.standard.dispatchDue(from: start, urgency: .urgent))
        #expect(s.stepDue == start.addingTimeInterval(600))
        s = try CaseWorkflow.decide(.file, on: s, as: [.dispatcher], by: actor, input: .init(), now: start, calendar: calendar)
        s = try CaseWorkflow.decide(.dispatch, on: s, as: [.dispatcher], by: actor, input: .init(), now: start, calendar: calendar)
        #expect(s.stepDue == due)
        s = try CaseWorkflow.decide(.accept, on: s, as: [.handler], by: actor, input: .init(), now: start, calendar: calendar)
        s = try CaseWorkflow.decide(.handle, on: s, as: [.handler], by: actor, input: .init(), now: at("2026-03-02T11:30:00+08:00"), calendar: calendar)
        #expect(s.handledBy == actor && s.stepDue == at("2026-03-02T14:30:00+08:00"))   // 1 working hour, across lunch
        s = try CaseWorkflow.decide(.failVerification, on: s, as: [.verifier], by: UUID(), input: .init(note: "未清理干净"), now: start, calendar: calendar)
        #expect(s.state == .reworked && s.stepDue == due)
        s = try CaseWorkflow.decide(.supervise, on: s, as: [.supervisor], by: UUID(), input: .init(note: "群众反映强烈"), now: start, calendar: calendar)
        #expect(s.supervised)
        #expect(throws: DomainError.self) { try CaseWorkflow.decide(.supervise, on: s, as: [.supervisor], by: UUID(), input: .init(note: "again"), now: start, calendar: calendar) }
    }

    @Test func overdueEscalatesToTheDispatcherThenTheStreet() {
        #expect(CaseWorkflow.escalationLevel(stepDue: due, now: due.addingTimeInterval(-1), calendar: calendar) == 0)
        #expect(CaseWorkflow.escalationLevel(stepDue: due, now: due.addingTimeInterval(60), calendar: calendar) == 1)
        // 4 working hours past Monday 14:00 is Monday 18:00.
        #expect(CaseWorkflow.escalationLevel(stepDue: due, now: at("2026-03-02T17:59:00+08:00"), calendar: calendar) == 1)
        #expect(CaseWorkflow.escalationLevel(stepDue: due, now: at("2026-03-02T18:00:00+08:00"), calendar: calendar) == 2)
    }
}

@Suite("Case access")
struct CaseAccessTests {
    let street = UUID(), village = UUID(), grid = UUID(), otherStreet = UUID()
    let steward = Org(id: UUID(), code: "S", name: "管家", nameEn: nil, kind: .steward)
    let office = Org(id: UUID(), code: "O", name: "街道办", nameEn: nil, kind: .streetOffice)
    let housing = Org(id: UUID(), code: "LH-ZJJ", name: "住建局", nameEn: nil, kind: .department)

    func actor(_ role: Role, _ org: Org?, areas: [UUID]) -> Actor {
        Actor(user: User(id: UUID(), username: "u", displayName: "U", role: role, orgID: org?.id, isActive: true), org: org, orgAreas: areas)
    }

    @Test func capacitiesFollowRoleOrgAndPlace() {
        let district = UUID()
        let parties = CaseParties(responsibleID: steward.id, areaPath: [district, street, village, grid], ownerDepartmentID: housing.id, reporterID: nil, handledBy: nil)
        let dispatcher = actor(.stewardDispatcher, steward, areas: [village])
        #expect(CaseAccess.capacities(of: dispatcher, on: parties) == [.dispatcher, .approver, .verifier, .handler])
        let staff = actor(.stewardStaff, steward, areas: [village])
        #expect(CaseAccess.capacities(of: staff, on: parties) == [.verifier, .handler])
        var handled = parties
        handled.handledBy = staff.user.id
        #expect(CaseAccess.capacities(of: staff, on: handled) == [.handler])   // never verifies own work
        let streetOfficer = actor(.streetOfficer, office, areas: [street])
        #expect(CaseAccess.capacities(of: streetOfficer, on: parties) == [.dispatcher, .approver, .verifier])
        let otherOfficer = actor(.streetOfficer, office, areas: [otherStreet])
        #expect(CaseAccess.capacities(of: otherOfficer, on: parties).isEmpty)
        #expect(CaseAccess.capacities(of: actor(.districtAdmin, nil, areas: []), on: parties).contains(.supervisor))
        // 谁委托谁监管: the owner department sees the case in any street but does not act on it.
        let officer = actor(.departmentOfficer, housing, areas: [])
        #expect(CaseAccess.canSee(officer, parties) && CaseAccess.capacities(of: officer, on: parties).isEmpty)
        #expect(!CaseAccess.canSee(otherOfficer, parties))
        #expect(CaseAccess.canSee(streetOfficer, parties))
        // A reporting-only key sees nothing: the user it belongs to is not the key.
        var device = actor(.stewardStaff, steward, areas: [village])
        device.keyScopes = [.casesReport]
        #expect(CaseAccess.scope(for: device) == .nothing && !CaseAccess.mayList(device))
        #expect(CaseAccess.capacities(of: device, on: parties).isEmpty)
    }
}

@Suite("Case intake rules")
struct CaseIntakeTests {
    @Test func everyMissingFieldIsNamedAtOnce() {
        let problems = CaseReport(category: nil, position: nil, placeCode: nil, description: "  ", urgency: "soon").problems().map(\.field)
        #expect(problems == ["category", "lat", "description", "urgency"])
        #expect(CaseReport(category: "06010", position: GeoPoint(lat: 22.6, long: 114.0), placeCode: nil, description: "x", urgency: nil).problems().isEmpty)
        #expect(CaseNumber.format(year: 2026, sequence: 123) == "LH-2026-000123")
    }

    @Test func duplicatesAreSameCategoryWithin50MetresAnd48Hours() {
        let rule = DuplicateRule.standard
        let p = GeoPoint(lat: 22.622, long: 114.030)
        let t = at("2026-03-02T09:00:00+08:00")
        #expect(rule.isLikelyDuplicate(category: "06010", at: p, reportedAt: t, of: "06010", at: p.offset(eastMetres: 30, northMetres: 30), reportedAt: t.addingTimeInterval(47 * 3600)))
        #expect(!rule.isLikelyDuplicate(category: "06010", at: p, reportedAt: t, of: "06010", at: p.offset(eastMetres: 40, northMetres: 40), reportedAt: t))
        #expect(!rule.isLikelyDuplicate(category: "06010", at: p, reportedAt: t, of: "06011", at: p, reportedAt: t))
        #expect(!rule.isLikelyDuplicate(category: "06010", at: p, reportedAt: t, of: "06010", at: p, reportedAt: t.addingTimeInterval(49 * 3600)))
    }
}

@Suite("Photos")
struct PhotoTests {
    func contains(_ data: Data, _ text: String) -> Bool { data.range(of: Data(text.utf8)) != nil }

    @Test func formatsAreRecognisedByTheirBytes() throws {
        #expect(PhotoFormat.sniff(TestImages.jpegWithGPS()) == .jpeg)
        #expect(PhotoFormat.sniff(TestImages.pngWithText()) == .png)
        #expect(PhotoFormat.sniff(TestImages.webpWithExif()) == .webp)
        #expect(PhotoFormat.sniff(Data("GIF89a....".utf8)) == nil)
        #expect(PhotoFormat.sniff(Data("%PDF-1.7".utf8)) == nil)
    }

    @Test func thePublicCopyHasNoLocation() throws {
        for (data, format) in [(TestImages.jpegWithGPS(), PhotoFormat.jpeg), (TestImages.pngWithText(), .png), (TestImages.webpWithExif(), .webp)] {
            #expect(contains(data, "GPS"))
            let copy = try #require(PhotoSanitizer.publicCopy(data, format: format))
            #expect(!contains(copy, "GPS"), "\(format)")
            #expect(PhotoFormat.sniff(copy) == format)
            #expect(copy.count < data.count)
        }
        // The image data itself is kept.
        let jpeg = try #require(PhotoSanitizer.publicCopy(TestImages.jpegWithGPS(), format: .jpeg))
        #expect(jpeg.suffix(2) == Data([0xFF, 0xD9]) && !contains(jpeg, "camera serial"))
        let webp = try #require(PhotoSanitizer.publicCopy(TestImages.webpWithExif(), format: .webp))
        #expect(webp[20] & 0x08 == 0)   // VP8X EXIF flag cleared
    }

    @Test func policyRefusesTooLargeWrongTypeAndBroken() {
        let policy = PhotoPolicy(maxBytes: 100, maxPhotos: 2)
        #expect(throws: DomainError.tooLarge(LocalizedText(zh: "第 1 张照片超过 0 MB", en: "photo 1 is larger than 0 MB"))) {
            try policy.check(Data(repeating: 0xFF, count: 101), index: 0)
        }
        do { _ = try policy.check(Data("hello".utf8), index: 1); Issue.record("accepted text") } catch {
            if case .unsupportedType = error {} else { Issue.record("expected unsupportedType, got \(error)") }
        }
        do { _ = try policy.check(Data([0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00]), index: 0); Issue.record("accepted a truncated JPEG") } catch {
            if case .unsupportedType = error {} else { Issue.record("expected unsupportedType, got \(error)") }
        }
        #expect(throws: DomainError.self) { try policy.checkCount(3) }
    }
}

@Suite("Dates")
struct DateTextTests {
    @Test func localDatesPrintAsISO() {
        #expect(LocalDate(year: 2026, month: 3, day: 2).description == "2026-03-02")
        #expect(LocalDate(year: 987, month: 12, day: 31).description == "0987-12-31")
    }
}

@Suite("Intake helpers")
struct IntakeHelperTests {
    @Test func trimmingMatchesFoundationAndSkipsItWhenNothingToTrim() {
        for text in ["", " ", "abc", "  abc", "abc \n", "\u{3000}全角空格\u{3000}", "\t x \r\n", "中文", "a\u{00A0}", "\u{2028}x"] {
            #expect(text.trimmedWhitespace == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
    }

    @Test func flatJSONKeepsMembersInOrderWithTheirTypes() throws {
        let fields = try #require(FlatJSON.fields(Array(#"{"a":"x","b":1.5,"c":true,"d":null,"a":"y"}"#.utf8)))
        #expect(fields.map(\.key) == ["a", "b", "c", "d", "a"])
        #expect(fields.map(\.value) == [.string("x"), .number(1.5), .bool(true), .null, .string("y")])
        #expect(FlatJSON.fields(Array(#"{"a":{"b":1}}"#.utf8)) == nil)   // nested: not flat
    }

    /// Ids drawn from the shared random pool by many threads at once: all distinct, with RFC 9562's version and
    /// variant bits, and the random part not constant.
    @Test func idsFromTheRandomPoolAreDistinctAcrossThreads() async {
        let ids = await withTaskGroup(of: [UUID].self) { group in
            for t in 0..<4 {
                group.addTask { (0..<5_000).map { _ in t % 2 == 0 ? UUID.timeOrdered() : UUID.random() } }
            }
            var all: [UUID] = []
            for await part in group { all += part }
            return all
        }
        #expect(ids.count == 20_000 && Set(ids).count == 20_000)
        for id in ids {
            let version = id.uuid.6 >> 4
            #expect(version == 7 || version == 4)
            #expect(id.uuid.8 & 0xC0 == 0x80)
        }
        #expect(Set(ids.map(\.uuid.15)).count > 200)   // the last byte is random: nearly all 256 values appear
    }
}
