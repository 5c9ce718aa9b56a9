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
    /// leaves a final state.
    @Test func noDeadEnds() {
        let everyone: Set<CaseCapacity> = Set(CaseCapacity.allCases)
        for state in CaseState.allCases {
            if state.isFinal {
                #expect(CaseWorkflow.available(in: state, as: everyone).isEmpty)
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
