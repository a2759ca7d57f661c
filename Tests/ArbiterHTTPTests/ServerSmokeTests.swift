import ArbiterHTTP
import Testing

@Suite struct ServerSmokeTests {
    @Test func answersOneRequest() throws {
        let server = try TestServer()
        let responses = try server.exchange("GET /x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n")
        #expect(responses.count == 1)
        #expect(responses.first?.status == 200)
        #expect(responses.first?.bodyText.contains("cn=alice") == true)
    }
}
