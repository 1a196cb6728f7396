// swift-tools-version: 6.1
// An app's package that tests its chat client against bytespike-mock, started in-process.
// It depends on this repository by path; a project of your own would use
//   .package(url: "https://…/bytespike-mock.git", from: "0.1.0")
import PackageDescription

let package = Package(
    name: "SwiftTest",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` fixes the package's identity to "bytespike-mock", whatever the checkout's directory is called.
        .package(name: "bytespike-mock", path: "../.."),
    ],
    targets: [
        /// The code under test: a tiny OpenAI-compatible chat client.
        .target(name: "ChatClient"),
        .testTarget(
            name: "ChatClientTests",
            dependencies: [
                "ChatClient",
                .product(name: "BytespikeMock", package: "bytespike-mock"),
            ]
        ),
    ]
)
