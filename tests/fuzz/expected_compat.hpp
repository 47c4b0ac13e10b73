// Fuzz builds only (force-included by tests/fuzz/CMakeLists.txt): Debian 12's
// clang 14 cannot compile libstdc++ 12's <expected> (it needs C++20 concepts
// with conditionally trivial special members, clang 16+), so the header comes
// out empty. This is the subset of std::expected Kindling uses, enough for the
// fuzz targets to build the project's sources with clang and libFuzzer. GCC
// builds never see it: it does nothing when __cpp_lib_expected is defined.
#pragma once

#include <version>

#if !defined(__cpp_lib_expected)
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace std {

template <class E>
class unexpected {
public:
    constexpr explicit unexpected(const E& e) : m_error(e) {}
    constexpr explicit unexpected(E&& e) : m_error(std::move(e)) {}
    template <class G = E>
        requires(!std::is_same_v<std::remove_cvref_t<G>, unexpected> && std::is_constructible_v<E, G>)
    constexpr explicit unexpected(G&& e) : m_error(std::forward<G>(e)) {}
    constexpr const E& error() const& noexcept { return m_error; }
    constexpr E& error() & noexcept { return m_error; }
    constexpr E&& error() && noexcept { return std::move(m_error); }

private:
    E m_error;
};
template <class E>
unexpected(E) -> unexpected<E>;

class bad_expected_access_base : public exception {
public:
    const char* what() const noexcept override { return "bad expected access"; }
};
template <class E>
class bad_expected_access : public bad_expected_access_base {};

namespace expected_compat {
struct Void {};
}  // namespace expected_compat

template <class T, class E>
class expected {
    using Stored = conditional_t<is_void_v<T>, expected_compat::Void, T>;

public:
    using value_type = T;
    using error_type = E;

    constexpr expected()
        requires(is_void_v<T> || is_default_constructible_v<Stored>)
        : m_v(in_place_index<0>) {}
    template <class U = Stored>
        requires(!is_void_v<T> && is_constructible_v<Stored, U> &&
                 !is_same_v<remove_cvref_t<U>, expected> && !is_same_v<remove_cvref_t<U>, unexpected<E>>)
    constexpr expected(U&& v) : m_v(in_place_index<0>, std::forward<U>(v)) {}
    template <class G>
        requires is_constructible_v<E, const G&>
    constexpr expected(const unexpected<G>& u) : m_v(in_place_index<1>, u.error()) {}
    template <class G>
        requires is_constructible_v<E, G>
    constexpr expected(unexpected<G>&& u) : m_v(in_place_index<1>, std::move(u).error()) {}

    constexpr bool has_value() const noexcept { return m_v.index() == 0; }
    constexpr explicit operator bool() const noexcept { return has_value(); }

    constexpr decltype(auto) value() & { return check(), std::get<0>(m_v); }
    constexpr decltype(auto) value() const& { return check(), std::get<0>(m_v); }
    constexpr decltype(auto) value() && { return check(), std::move(std::get<0>(m_v)); }
    constexpr decltype(auto) operator*() & { return std::get<0>(m_v); }
    constexpr decltype(auto) operator*() const& { return std::get<0>(m_v); }
    constexpr decltype(auto) operator*() && { return std::move(std::get<0>(m_v)); }
    constexpr auto operator->() { return &std::get<0>(m_v); }
    constexpr auto operator->() const { return &std::get<0>(m_v); }
    template <class U>
    constexpr Stored value_or(U&& v) const& {
        return has_value() ? std::get<0>(m_v) : static_cast<Stored>(std::forward<U>(v));
    }
    template <class U>
    constexpr Stored value_or(U&& v) && {
        return has_value() ? std::move(std::get<0>(m_v)) : static_cast<Stored>(std::forward<U>(v));
    }
    template <class... A>
    constexpr Stored& emplace(A&&... a) {
        return m_v.template emplace<0>(std::forward<A>(a)...);
    }

    constexpr E& error() & { return std::get<1>(m_v); }
    constexpr const E& error() const& { return std::get<1>(m_v); }
    constexpr E&& error() && { return std::move(std::get<1>(m_v)); }

private:
    constexpr void check() const {
        if (!has_value()) throw bad_expected_access<E>();
    }
    variant<Stored, E> m_v;
};

}  // namespace std
#endif
