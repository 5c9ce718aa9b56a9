@testable import CityStewardApp
import CityStewardCore
import CityStewardTestSupport
import Foundation
import Testing
import VaporTesting

/// The flat-body fast path of `POST /api/v1/cases` reads exactly what `Content` would, and leaves every doubtful
/// body to it (so the errors stay the same).
@Suite("Intake bodies")
struct IntakeBodyTests {
    @Test func theFastPathAgreesWithContentAndDefersOnDoubt() async throws {
        try await withTestApp { app in
            let patrol = try await token(app, "steward-patrol")
            let p = try await gridCentre(app, songziyuan, 1)
            let ok = try await send(app, .POST, "/api/v1/cases", headers: bearer(patrol),
                                    raw: #"{"category":"06010","lat":\#(p.lat),"long":\#(p.long),"description":"门口\"垃圾\"","urgency":null,"extra":1}"#)
            #expect(ok.status == .created, "\(ok.text)")
            #expect(ok.json["description"] as? String == "门口\"垃圾\"" || ok.text.contains(#"门口\"垃圾\""#))
            for (body, field) in [(#"{"category":"06010","lat":"north","long":114.03,"description":"x"}"#, "lat"),
                                  (#"{"category":"06010","lat":true,"long":114.03,"description":"x"}"#, "lat"),
                                  (#"{"category":6010,"lat":22.62,"long":114.03,"description":"x"}"#, "category"),
                                  (#"{"category":"06010","lat":22.62,"long":114.03,"description":"x","selfHandled":1}"#, "selfHandled")] {
                let r = try await send(app, .POST, "/api/v1/cases", headers: bearer(patrol), raw: body)
                #expect(r.status == .badRequest, "\(body): \(r.status) \(r.text.prefix(200))")
                _ = field
            }
            func request(_ json: String) -> Request {
                Request(application: app, method: .POST, url: URI(string: "/api/v1/cases"), headers: ["Content-Type": "application/json"],
                        collectedBody: ByteBuffer(string: json), on: app.eventLoopGroup.next())
            }
            #expect(CasesAPIController.quickBody(request(#"{"category":"06010","lat":22.6,"long":114.0,"description":"d","photos":[]}"#)) == nil,
                    "photos go through Content")
            let req = request(#"{"category":"06010","lat":22.6,"long":114,"description":"d","selfHandled":true,"crs":"gcj02"}"#)
            let b = try #require(CasesAPIController.quickBody(req))
            #expect(b.category == "06010" && b.lat == 22.6 && b.long == 114 && b.selfHandled == true && b.crs == "gcj02" && b.photos == nil)
            // A repeated key ends with its last value, null included (as a dictionary would); null photos are no photos.
            let repeated = try #require(CasesAPIController.quickBody(request(
                #"{"category":"06010","category":"09010","lat":1,"lat":null,"long":114,"description":"d","urgency":"urgent","urgency":null,"photos":null}"#)))
            #expect(repeated.category == "09010" && repeated.lat == nil && repeated.long == 114 && repeated.urgency == nil)
            #expect(CasesAPIController.quickBody(request(#"{"category":6010,"lat":1,"long":2,"description":"d"}"#)) == nil)   // wrong type: Content words it
        }
    }
}
