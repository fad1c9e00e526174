// A program that only includes the umbrella header: microscale used header-only, nothing linked.
#include <microscale/microscale.hpp>

#include <cstdio>
#include <string>

int main() {
    namespace num = microscale::numeric;
    static_assert(num::e2m1::encode(2.5f) == 0x4, "2.5 ties to 2.0 (even mantissa)");
    const float x = 0.3f;
    std::printf("microscale %s header-only: e2m1(%.2f) = %.2f, e4m3(%.2f) = %.4f\n",
                std::string(microscale::version_string).c_str(), static_cast<double>(x),
                static_cast<double>(num::e2m1::decode(num::e2m1::encode(x))),
                static_cast<double>(x), static_cast<double>(num::e4m3::decode(num::e4m3::encode(x))));
    return num::e2m1::decode(num::e2m1::encode(x)) == 0.5f ? 0 : 1;
}
