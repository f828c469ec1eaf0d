// null_server: the transport ceiling as a process, so that `leadboard bench`
// measures it with exactly the client, streams and events it uses against
// the real server. Listens on 127.0.0.1:0 and writes its port to argv[1].
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "null_service.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: null_server PORT_FILE\n";
    return 2;
  }
  leadboard::bench::NullService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return 1;
  std::ofstream(argv[1]) << port << "\n";
  server->Wait();
  return 0;
}
