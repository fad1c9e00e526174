// A grow-only, 64-byte-aligned scratch buffer: kernels keep one per thread so that apply() stops
// allocating once it has seen its largest problem.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace microscale::detail {

template <class T>
class aligned_buffer {
public:
    static constexpr std::size_t alignment = 64;

    /// At least `count` elements (contents unspecified after growth).
    T* reserve(std::size_t count) {
        if (count > capacity_) {
            data_.reset(static_cast<T*>(::operator new (count * sizeof(T), std::align_val_t{alignment})));
            capacity_ = count;
        }
        return data_.get();
    }
    T* data() const noexcept { return data_.get(); }
    std::size_t capacity() const noexcept { return capacity_; }

private:
    struct deleter {
        void operator()(T* p) const noexcept { ::operator delete (p, std::align_val_t{alignment}); }
    };
    std::unique_ptr<T, deleter> data_;
    std::size_t capacity_ = 0;
};

/// Elements of T that make a row start on a 64-byte boundary.
template <class T>
constexpr std::size_t padded_row(std::size_t count) noexcept {
    constexpr std::size_t per_line = 64 / sizeof(T);
    return (count + per_line - 1) / per_line * per_line;
}

}  // namespace microscale::detail
