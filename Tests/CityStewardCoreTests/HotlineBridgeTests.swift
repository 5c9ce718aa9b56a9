import CityStewardCore
import Foundation
import Testing

@Suite("12345 hotline: what a ticket needs, and which steps go back")
struct HotlineBridgeTests {
    let ticket = HotlineTicketInput(ticketNumber: "SZ12345-000001", nature: "complaint", categoryText: "暴露垃圾", description: "巷口垃圾",
                                    placeCode: "440309002001V01")

    @Test func aTicketIsCheckedWhole() {
        #expect(HotlineBridge.problems(ticket).isEmpty)
        var bad = ticket
        (bad.ticketNumber, bad.nature, bad.categoryText, bad.description, bad.placeCode, bad.lat) = ("#1", "rumour", nil, " ", nil, 22.6)
        #expect(HotlineBridge.problems(bad).map(\.field) == ["ticketNumber", "nature", "category", "description", "lat,long"])
        bad = ticket
        bad.placeCode = nil
        #expect(HotlineBridge.problems(bad).map(\.field) == ["lat"], "an address alone cannot be located")
        bad.lat = 22.6
        bad.long = 114.0
        #expect(HotlineBridge.problems(bad).isEmpty)
    }

    @Test func onlyTheStepsTheHotlineWaitsForGoBack() {
        #expect(HotlineBridge.step(after: .handle, to: .handled) == .handled)
        #expect(HotlineBridge.step(after: .selfHandle, to: .handled) == .handled)
        #expect(HotlineBridge.step(after: .passVerification, to: .verified) == .replied)
        #expect(HotlineBridge.step(after: .close, to: .closed) == .closed)
        #expect(HotlineBridge.step(after: .reject, to: .rejected) == .returned)
        #expect(HotlineBridge.step(after: .merge, to: .rejected) == .returned)
        for action in [CaseAction.file, .dispatch, .accept, .failVerification, .supervise, .requestPostpone] {
            #expect(HotlineBridge.step(after: action, to: .filed) == nil, "\(action)")
        }
    }
}
