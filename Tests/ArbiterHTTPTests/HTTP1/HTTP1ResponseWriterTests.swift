@testable import ArbiterHTTP
import Testing

@Suite struct HTTP1ResponseWriterTests {
    @Test(arguments: [0, 7, 10, 99, 1000, 123_456])
    func writesContentLengthAndBody(length: Int) {
        var output: [UInt8] = []
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        HTTP1ResponseWriter.write(HTTPResponse(status: 200, body: body), close: false, omitBody: false, into: &output)
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\ncontent-length: \(length)\r\n\r\n"))
        #expect(output.count == "HTTP/1.1 200 OK\r\ncontent-length: \(length)\r\n\r\n".utf8.count + length)
    }

    @Test func dropsFramingFieldsInAnyCaseAndAddsClose() {
        var output: [UInt8] = []
        let response = HTTPResponse(
            status: 404,
            headers: [(name: "Content-Length", value: "1"), (name: "CONNECTION", value: "keep-alive"),
                      (name: "Transfer-Encoding", value: "chunked"), (name: "content-type", value: "text/plain")])
        HTTP1ResponseWriter.write(response, close: true, omitBody: false, into: &output)
        #expect(String(decoding: output, as: UTF8.self)
            == "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    }

    @Test func noContentHasNoLengthAndNoBody() {
        var output: [UInt8] = []
        HTTP1ResponseWriter.write(HTTPResponse(status: 204, body: [1, 2, 3]), close: false, omitBody: false, into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "HTTP/1.1 204 No Content\r\n\r\n")
    }

    @Test func invalidStatusBecomes500() {
        var output: [UInt8] = []
        HTTP1ResponseWriter.write(HTTPResponse(status: 42), close: false, omitBody: false, into: &output)
        #expect(String(decoding: output, as: UTF8.self).hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
    }
}
