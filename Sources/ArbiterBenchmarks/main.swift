import Glibc

if CommandLine.arguments.dropFirst().first == "transport-server" {
    exit(TransportServer.run(Array(CommandLine.arguments.dropFirst(2))))
}
print("benchmarks")
