import CityStewardCore
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A text message to a resident's phone.
struct SMSMessage: Content, Equatable {
    var phone: String
    var text: String
}

/// The outside party that delivers text messages (a carrier's or cloud provider's SMS service): we do not run it,
/// so it sits behind this interface.
protocol SMSGateway: Sendable {
    func send(_ message: SMSMessage, client: any Client, logger: Logger) async throws
}

/// A gateway reached over HTTP: `POST {url}` with `{"phone","text"}` as JSON and `Authorization: Bearer {token}`; any
/// 2xx is delivered. The provider's own API sits behind a small bridge of this shape (or speaks it directly).
struct HTTPSMSGateway: SMSGateway {
    let url: String
    let token: String?

    func send(_ message: SMSMessage, client: any Client, logger: Logger) async throws {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let token { headers.replaceOrAdd(name: .authorization, value: "Bearer \(token)") }
        let response = try await client.post(URI(string: url), headers: headers) { try $0.content.encode(message) }
        guard (200..<300).contains(response.status.code) else {
            logger.warning("SMS gateway answered \(response.status.code)")
            throw SMSFailure()
        }
    }
}

struct SMSFailure: Error {}

/// The demo's gateway: the message goes to the server's log (no phone is reached).
struct LogSMSGateway: SMSGateway {
    func send(_ message: SMSMessage, client: any Client, logger: Logger) async throws {
        logger.notice("SMS to \(PhoneNumber.parse(message.phone)?.masked ?? "?"): \(message.text)")
    }
}

/// The tests' stand-in for the outside gateway: it keeps what it was given.
final class RecordingSMSGateway: SMSGateway {
    private let box = NIOLockedValueBox<[SMSMessage]>([])
    var messages: [SMSMessage] { box.withLockedValue { $0 } }

    func send(_ message: SMSMessage, client: any Client, logger: Logger) async throws {
        box.withLockedValue { $0.append(message) }
    }
}

extension Application {
    private struct SMSGatewayKey: StorageKey { typealias Value = any SMSGateway }
    /// nil: no search by phone (a deployment without a gateway).
    var smsGateway: (any SMSGateway)? {
        get { storage[SMSGatewayKey.self] }
        set { storage[SMSGatewayKey.self] = newValue }
    }
}
