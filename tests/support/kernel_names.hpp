// Typed-test names: each kernel's test is named after the kernel (TYPED_TEST_SUITE's third argument).
#pragma once

#include <string>

namespace microscale::test {

struct kernel_names {
    template <class T>
    static std::string GetName(int) {
        return std::string(T::name);
    }
};

}  // namespace microscale::test
