// Errors that cross into JavaScript: every failure the engine reports carries a stable code.
// The binding turns an lgb::Error into an EngineError (addon/lib/errors.ts) whose `.code` is code().
#pragma once
#include <stdexcept>
#include <string>

namespace lgb {

// Stable codes. The one definition: the addon exports them (`errorCodes`) under the names of kErrorCodes, and the
// TypeScript layer reads them from there.
inline constexpr const char* kErrInvalidParams = "ERR_INVALID_PARAMS";     // impossible model shape
inline constexpr const char* kErrInvalidArgument = "ERR_INVALID_ARGUMENT"; // bad nonce, key, batch...
inline constexpr const char* kErrOutOfMemory = "ERR_OUT_OF_MEMORY";       // host or device allocation failed
inline constexpr const char* kErrNoModel = "ERR_NO_MODEL";                 // run before load
inline constexpr const char* kErrDevice = "ERR_DEVICE";                    // fatal device failure (CUDA)
inline constexpr const char* kErrNoBackend = "ERR_NO_BACKEND";             // backend not compiled in / no devices
inline constexpr const char* kErrClosed = "ERR_CLOSED";                    // handle already released
inline constexpr const char* kErrInternal = "ERR_INTERNAL";

struct ErrorCodeName {
  const char* name;  // the key in addon/lib/errors.ts ErrorCodes
  const char* code;
};
inline constexpr ErrorCodeName kErrorCodes[] = {
    {"invalidParams", kErrInvalidParams}, {"invalidArgument", kErrInvalidArgument},
    {"outOfMemory", kErrOutOfMemory},     {"noModel", kErrNoModel},
    {"device", kErrDevice},               {"noBackend", kErrNoBackend},
    {"closed", kErrClosed},               {"internal", kErrInternal},
};

class Error : public std::runtime_error {
 public:
  Error(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const noexcept { return code_; }

 private:
  const char* code_;
};

}  // namespace lgb
