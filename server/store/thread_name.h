// NameThisThread: gives the calling thread a name that `top -H`, `ps -L`,
// perf and gdb show (Linux keeps 15 characters), so an operator can tell
// the commit writer from the hub or a watch queue at a glance.
#ifndef LEADBOARD_SERVER_STORE_THREAD_NAME_H_
#define LEADBOARD_SERVER_STORE_THREAD_NAME_H_

#include <pthread.h>

#include <string>

namespace leadboard::store {

inline void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_THREAD_NAME_H_
