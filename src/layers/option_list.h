// OptionList: a layer declares each option once, in visitOptions(), and that one list both reads
// the options (with their defaults and checks) when the layer is constructed and writes them
// back (defaults included) for options() / saved configs. Reading also rejects every key the
// list did not visit ("dense: unknown option 'unit' (known: units, activation, ...)").
//
//   void visitOptions(OptionList& o) override {
//     o.positiveInt("units", units_);
//     o.activation("activation", activation_, Activation::Linear);
//     o.boolean("useBias", useBias_, true);
//   }
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/config.h"
#include "kernels/activation.h"
#include "layers/param.h"

namespace attn {

class OptionList {
 public:
  // Reading the options of `owner` from `config`.
  OptionList(const Json& config, const std::string& owner) : reader_(std::in_place, config, owner) {}
  // Writing them into json().
  OptionList() : written_(Json::object()) {}

  bool reading() const { return reader_.has_value(); }
  const std::string& owner() const { return reader_->owner(); }

  void positiveInt(const char* key, int& value) { read(value, [&] { return reader_->positiveInt(key); }, key); }
  void positiveInt(const char* key, int& value, int fallback) {
    read(value, [&] { return reader_->positiveInt(key, fallback); }, key);
  }
  void integer(const char* key, int& value, int fallback) {
    read(value, [&] { return reader_->integer(key, fallback); }, key);
  }
  void number(const char* key, float& value) {  // required
    requirePresent(key);
    number(key, value, 0.f);
  }
  void number(const char* key, float& value, float fallback) {
    read(value, [&] { return reader_->number(key, fallback); }, key);
  }
  // low <= value <= high, or low <= value < high when highExcluded.
  void numberInRange(const char* key, float& value, float fallback, float low, float high, bool highExcluded = false) {
    read(value, [&] { return reader_->numberInRange(key, fallback, low, high); }, key);
    if (reading() && highExcluded)
      ATTN_CHECK(value < high, owner(), ": option '", key, "' must be below ", high, ", got ", value);
  }
  void boolean(const char* key, bool& value, bool fallback) {
    read(value, [&] { return reader_->boolean(key, fallback); }, key);
  }
  void intList(const char* key, std::vector<int>& value) {  // required
    read(value, [&] { return reader_->intList(key); }, key);
  }
  void intList(const char* key, std::vector<int>& value, const std::vector<int>& fallback) {
    read(value, [&] { return reader_->intList(key, fallback); }, key);
  }
  // A 1-D window size (Keras' kernel_size, strides, pool_size...): n or [n], n >= 1, written back
  // as a number. Without a fallback the option is required.
  void windowSize(const char* key, int& value, std::optional<int> fallback = std::nullopt) {
    if (!reading()) {
      written_[key] = value;
      return;
    }
    const std::vector<int> list = fallback ? reader_->intList(key, {*fallback}) : reader_->intList(key);
    if (list.size() != 1 || list[0] < 1)
      fail(owner(), ": option '", key, "' must be a positive integer (or a list of one), got ", Json(list).dump());
    value = list[0];
  }
  // A list written back as a single number when it holds one (Keras' axis=-1 or axis=[1, 2]).
  void intOrIntList(const char* key, std::vector<int>& value, const std::vector<int>& fallback) {
    if (reading())
      value = reader_->intList(key, fallback);
    else
      written_[key] = value.size() == 1 ? Json(value[0]) : Json(value);
  }
  void activation(const char* key, Activation& value) {  // required
    requirePresent(key);
    activation(key, value, Activation::Linear);
  }
  void activation(const char* key, Activation& value, Activation fallback) {
    if (reading())
      value = parseActivation(reader_->string(key, activationName(fallback)), owner());
    else
      written_[key] = activationName(value);
  }
  void initializer(const char* key, Initializer& value, const Initializer& fallback) {
    if (reading())
      value = parseInitializer(reader_->raw(key), fallback, owner());
    else
      written_[key] = initializerToJson(value);
  }
  void regularizer(const char* key, Regularizer& value) {
    if (reading())
      value = parseRegularizer(reader_->raw(key), owner());
    else
      written_[key] = regularizerToJson(value);
  }
  // An enum spelled as one of `names` ({"concat", Merge::Concat}, ...).
  template <class E>
  void choice(const char* key, E& value, E fallback, std::initializer_list<std::pair<const char*, E>> names) {
    if (reading()) {
      const char* fallbackName = "";
      for (const auto& [name, e] : names)
        if (e == fallback) fallbackName = name;
      std::vector<const char*> allowed;
      for (const auto& entry : names) allowed.push_back(entry.first);
      const std::string got = reader_->oneOf(key, fallbackName, allowed);
      for (const auto& [name, e] : names)
        if (got == name) value = e;
    } else {
      for (const auto& [name, e] : names)
        if (e == value) written_[key] = name;
    }
  }
  // An option with a JSON form of its own (Dot's axes, a wrapped layer's spec): `parse` turns the
  // raw value (null when absent) into the field, `toJson` the field into its value; an absent
  // value (null from toJson when `omitNull`) is not written.
  template <class Parse, class ToJson>
  void custom(const char* key, Parse parse, ToJson toJson, bool omitNull = false) {
    if (reading()) {
      parse(reader_->raw(key));
    } else {
      Json value = toJson();
      if (!(omitNull && value.is_null())) written_[key] = std::move(value);
    }
  }
  // A rule between options, checked once they are read: "<owner>: <message parts>".
  template <class... Parts>
  void require(bool holds, const Parts&... parts) {
    if (reading() && !holds) fail(owner(), ": ", parts...);
  }

  void finish() const {
    if (reading()) reader_->finish();
  }
  const Json& json() const { return written_; }

 private:
  void requirePresent(const char* key) {
    if (reading()) ATTN_CHECK(reader_->has(key), owner(), ": option '", key, "' is required");
  }
  template <class T, class Read>
  void read(T& value, Read readValue, const char* key) {
    if (reading())
      value = readValue();
    else
      written_[key] = value;
  }

  std::optional<ConfigReader> reader_;
  Json written_;
};

}  // namespace attn
