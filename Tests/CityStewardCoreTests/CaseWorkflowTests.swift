import CityStewardCore
import Foundation
import Testing

@Suite("Case workflow")
struct CaseWorkflowTests {
    @Test func theMainPathToClosure() throws {
        var state = CaseState.reported
        state = try CaseWorkflow.apply(.file, to: state, as: [.dispatcher], note: nil)
        state = try CaseWorkflow.apply(.dispatch, to: state, as: [.dispatcher], note: nil)
        state = try CaseWorkflow.apply(.accept, to: state, as: [.handler], note: nil)
        state = try CaseWorkflow.apply(.handle, to: state, as: [.handler], note: nil)
        state = try CaseWorkflow.apply(.failVerification, to: state, as: [.verifier], note: "垃圾未清理干净")
        #expect(state == .reworked)
        state = try CaseWorkflow.apply(.handle, to: state, as: [.handler], note: nil)
        state = try CaseWorkflow.apply(.passVerification, to: state, as: [.verifier], note: nil)
        state = try CaseWorkflow.apply(.close, to: state, as: [.dispatcher], note: nil)
        #expect(state == .closed)
        #expect(CaseWorkflow.available(in: state, as: [.dispatcher, .handler, .verifier, .approver]).isEmpty)
    }

    @Test func wrongStateIsAConflictWrongPartyIsForbidden() {
        #expect(throws: DomainError.self) { try CaseWorkflow.apply(.close, to: .reported, as: [.dispatcher], note: nil) }
        do {
            _ = try CaseWorkflow.apply(.accept, to: .dispatched, as: [.dispatcher], note: nil)
            Issue.record("a dispatcher cannot accept on the handler's behalf")
        } catch {
            if case .forbidden = error {} else { Issue.record("expected forbidden, got \(error)") }
        }
        do {
            _ = try CaseWorkflow.apply(.handle, to: .closed, as: [.handler], note: nil)
        } catch {
            if case .conflict = error {} else { Issue.record("expected conflict, got \(error)") }
        }
    }

    @Test func reasonsAreRequiredWhereTheyMatter() {
        #expect(throws: DomainError.self) { try CaseWorkflow.apply(.reject, to: .reported, as: [.dispatcher], note: "  ") }
        #expect(throws: DomainError.self) { try CaseWorkflow.apply(.suspend, to: .accepted, as: [.approver], note: nil) }
        #expect((try? CaseWorkflow.apply(.suspend, to: .accepted, as: [.approver], note: "等待燃气公司")) == .suspended)
    }

    @Test func theClockStopsWhileSuspendedOrAwaitingVerification() {
        #expect(CaseState.accepted.clockRuns)
        #expect(!CaseState.suspended.clockRuns)
        #expect(!CaseState.handled.clockRuns)
        #expect(!CaseState.closed.clockRuns)
    }

    /// Property: every action reaches a state from which the case can still be closed or is final, and no action
    /// leaves a final state but the reporter's reopening of a closed case.
    @Test func noDeadEnds() {
        let everyone: Set<CaseCapacity> = Set(CaseCapacity.allCases)
        for state in CaseState.allCases {
            if state.isFinal {
                #expect(CaseWorkflow.available(in: state, as: everyone) == (state == .closed ? [.reopen] : []))
                #expect(CaseWorkflow.available(in: state, as: everyone.subtracting([.reporter])).isEmpty)
                continue
            }
            // Breadth-first search to `closed`.
            var seen: Set<CaseState> = [state], frontier = [state]
            while let s = frontier.popLast() {
                for action in CaseWorkflow.available(in: s, as: everyone) {
                    let next = action.to ?? (action == .resume ? .accepted : s)
                    guard !seen.contains(next) else { continue }
                    seen.insert(next)
                    frontier.append(next)
                }
            }
            #expect(seen.contains(.closed) || seen.contains(.rejected), "\(state) cannot reach an end")
        }
    }
}

@Suite("Residents' follow-up rules")
struct ResidentFeedbackTests {
    let calendar: WorkingCalendar = try! WorkingCalendarData.decode(try! Data(contentsOf: URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Resources/Calendars/china-holidays.json")))

    @Test func reopeningSendsTheCaseBackWithAFreshDeadline() throws {
        let closedAt = ISO8601DateFormatter().date(from: "2026-03-02T06:00:00Z")!
        let now = closedAt.addingTimeInterval(3600)
        let snapshot = CaseSnapshot(state: .closed, urgency: .normal, reportedAt: closedAt.addingTimeInterval(-86400), deadline: closedAt, stepDue: nil,
                                    handledBy: UUID())
        // Only the reporter, only with a reason.
        #expect(throws: DomainError.self) { try CaseWorkflow.decide(.reopen, on: snapshot, as: [.dispatcher], by: UUID(), input: .init(note: "x"), now: now, calendar: calendar) }
        #expect(throws: DomainError.self) { try CaseWorkflow.decide(.reopen, on: snapshot, as: [.reporter], by: UUID(), input: .init(), now: now, calendar: calendar) }
        let limit = TimeLimit(amount: 4, unit: .workingHours)
        let next = try CaseWorkflow.decide(.reopen, on: snapshot, as: [.reporter], by: UUID(), input: .init(note: "又脏了", limit: limit), now: now, calendar: calendar)
        #expect(next.state == .dispatched && next.handledBy == nil)
        #expect(next.deadline == limit.deadline(from: now, on: calendar) && next.stepDue == next.deadline)
    }

    @Test func onceWithinSevenDays() {
        let closedAt = Date(timeIntervalSince1970: 1_772_433_000)
        #expect(ResidentFeedback.canReopen(state: .closed, closedAt: closedAt, reopenCount: 0, now: closedAt.addingTimeInterval(6.9 * 86400)))
        #expect(!ResidentFeedback.canReopen(state: .closed, closedAt: closedAt, reopenCount: 0, now: closedAt.addingTimeInterval(7.1 * 86400)))
        #expect(!ResidentFeedback.canReopen(state: .closed, closedAt: closedAt, reopenCount: 1, now: closedAt))
        #expect(!ResidentFeedback.canReopen(state: .accepted, closedAt: nil, reopenCount: 0, now: closedAt))
        #expect(throws: DomainError.self) { try ResidentFeedback.checkRating(0, comment: nil, state: .closed, alreadyRated: false) }
        #expect(throws: DomainError.self) { try ResidentFeedback.checkRating(5, comment: nil, state: .accepted, alreadyRated: false) }
        #expect(throws: DomainError.self) { try ResidentFeedback.checkRating(5, comment: nil, state: .closed, alreadyRated: true) }
        #expect(throws: DomainError.self) { try ResidentFeedback.checkRating(5, comment: String(repeating: "好", count: 501), state: .closed, alreadyRated: false) }
        #expect((try? ResidentFeedback.checkRating(5, comment: "好", state: .closed, alreadyRated: false)) != nil)
    }

    /// Numbers as people write them, each to its E.164 form (and extension).
    @Test func phoneNumbersAsPeopleWriteThem() {
        let cases: [(String, String, String?)] = [
            ("13800138000", "+8613800138000", nil), ("138 0013 8000", "+8613800138000", nil), ("138-0013-8000", "+8613800138000", nil),
            ("+86 138 0013 8000", "+8613800138000", nil), ("0086 13800138000", "+8613800138000", nil), ("+86-138-0013-8000", "+8613800138000", nil),
            ("１３８００１３８０００", "+8613800138000", nil), ("＋８６ １３８ ００１３ ８０００", "+8613800138000", nil),
            ("+86 755 2345 6789", "+8675523456789", nil), ("0755-2345 6789", "+8675523456789", nil), ("(0755) 23456789", "+8675523456789", nil),
            ("（0755）2345-6789", "+8675523456789", nil), ("+86 (0)755 2345 6789", "+8675523456789", nil), ("0086-755-23456789", "+8675523456789", nil),
            ("010-6552 9988", "+861065529988", nil), ("020 8888 1234", "+862088881234", nil), ("0769-2345678", "+867692345678", nil),
            ("0755-2345 6789 转 123", "+8675523456789", "123"), ("0755 23456789 分机 8001", "+8675523456789", "8001"),
            ("0755-23456789 ext. 12", "+8675523456789", "12"), ("0755-23456789x12", "+8675523456789", "12"), ("0755-23456789#3", "+8675523456789", "3"),
            ("tel:+86-755-2345-6789;ext=55", "+8675523456789", "55"),
            ("+852 2345 6789", "+85223456789", nil), ("00852 2345 6789", "+85223456789", nil), ("+1 (415) 555-2671", "+14155552671", nil),
            ("+44 20 7946 0958", "+442079460958", nil), ("+81 3-1234-5678", "+81312345678", nil),
        ]
        for (written, e164, ext) in cases {
            let n = PhoneNumber.parse(written)
            #expect(n?.e164 == e164, "\(written)")
            #expect(n?.extensionDigits == ext, "\(written)")
        }
        #expect(PhoneNumber.parse("0755-2345 6789 转 123")?.sealedForm == "+8675523456789;ext=123")
        #expect(PhoneNumber.parse("+86 755 2345 6789")?.national == "075523456789")
        #expect(PhoneNumber.parse("+86 755 2345 6789")?.indexForms == ["+8675523456789", "075523456789"])
        #expect(PhoneNumber.parse("+852 2345 6789")?.indexForms == ["+85223456789"])
        #expect(PhoneNumber.parse("+852 2345 6789")?.masked == "+852****6789")
        #expect(PhoneNumber.parse("+852 2345 6789")?.dialable == "+85223456789")
        // Not numbers: too short, a local number without its area code, letters, an extension that is not digits.
        for bad in ["2345 6789", "75523456789", "+86 12345", "+0 123456789", "138001380OO", "0755-23456789 转 abc", "+1234567890123456"] {
            #expect(PhoneNumber.parse(bad) == nil, "\(bad)")
        }
        // A report keeps what it cannot read, sealed, its masked form showing almost nothing.
        #expect(ContactNumber.read("  ") == nil)
        #expect(ContactNumber.read("+852 2345 6789") == .number(PhoneNumber.parse("+85223456789")!))
        #expect(ContactNumber.read("call 2345 6789 evenings") == .unreadable("call 2345 6789 evenings"))
        #expect(ContactNumber.read("call 2345 6789 evenings")?.masked == "ca********gs (?)")
    }

    @Test func phoneNumbersAreParsedAndMasked() {
        #expect(PhoneNumber.parse("+86 138-0013-8000")?.national == "13800138000")
        #expect(PhoneNumber.parse("+86 138-0013-8000")?.e164 == "+8613800138000")
        #expect(PhoneNumber.parse("13800138000")?.masked == "138****8000")
        #expect(PhoneNumber.parse("0755-2345 6789")?.masked == "075*****6789")
        for bad in ["12345", "12800138000", "1380013800a", "", "00755123"] { #expect(PhoneNumber.parse(bad) == nil, "\(bad)") }
        // Property: masking never shows the middle digits.
        for n in 0..<200 {
            let digits = "13" + String(format: "%09d", n * 4_999_999 % 1_000_000_000)
            let masked = PhoneNumber.parse(digits)!.masked
            #expect(masked.count == 11 && masked.dropFirst(3).prefix(4) == "****" && masked.suffix(4) == digits.suffix(4))
        }
    }

    @Test func shortNumbersAsResidentsTypeThem() {
        #expect(ShortNumber.normalize("LH-2026-000123") == "LH-2026-000123")
        #expect(ShortNumber.normalize("2026-123") == "LH-2026-000123")
        #expect(ShortNumber.normalize(" lh 2026 123 ") == "LH-2026-000123")
        #expect(ShortNumber.normalize("2026000123") == "LH-2026-000123")
        for bad in ["123", "2026-", "abcd-12", "2026-0", "2026-1234567"] { #expect(ShortNumber.normalize(bad) == nil, "\(bad)") }
    }

    @Test func everyTopicNamesAClassOfTheTaxonomy() throws {
        let taxonomy = try TaxonomyData.decode(try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Resources/Taxonomy/taxonomy.json")))
        for topic in ResidentTopic.all {
            if let code = topic.category {
                #expect(taxonomy.eventCategory(code) != nil, "\(topic.id) → \(code)")
                #expect(topic.emergency == nil)
            } else {
                #expect(topic.emergency != nil, "\(topic.id) names no class and is not an emergency")
            }
        }
        #expect(Set(ResidentTopic.all.map(\.id)).count == ResidentTopic.all.count)
        #expect(Set(ResidentTopic.all.map(\.group)) == Set(CategoryGroup.allCases))
        // Each emergency shows its own number first.
        #expect(EmergencyNumber.first(for: .fire).first?.number == "119")
        #expect(EmergencyNumber.first(for: .gas).first?.number == "119")
        #expect(EmergencyNumber.first(for: .people).first?.number == "120")
    }
}
