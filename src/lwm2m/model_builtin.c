/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in object models, data only: OMA registry core objects 0-7, the
 * IPSO Smart Objects 3300-3350 and the seed's Modbus object 26241, as const
 * tables sorted by id (binary search), with the two look-ups over them.  TLV
 * and text carry no type information, so the gateway types values from
 * these.  ops "" marks resources with no operations for a LwM2M server
 * (bootstrap-only Security object).  Objects loaded from DDF files live in a
 * zl_models_t handle (model.c) that is consulted first. */
#include "lwm2m/model.h"

#include <stddef.h>
#include <stdint.h>

#define S ZL_T_STRING
#define F ZL_T_FLOAT
#define I ZL_T_INTEGER
#define B ZL_T_BOOLEAN
#define O ZL_T_OPAQUE
#define T ZL_T_TIME
#define L ZL_T_OBJLNK
#define X ZL_T_NONE /* executable */
#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

/* 0 LwM2M Security (1.1) */
static const zl_res_model_t r_security[] = {
    {0, "LWM2M Server URI", S, false, "", NULL},
    {1, "Bootstrap-Server", B, false, "", NULL},
    {2, "Security Mode", I, false, "", NULL},
    {3, "Public Key or Identity", O, false, "", NULL},
    {4, "Server Public Key", O, false, "", NULL},
    {5, "Secret Key", O, false, "", NULL},
    {6, "SMS Security Mode", I, false, "", NULL},
    {7, "SMS Binding Key Parameters", O, false, "", NULL},
    {8, "SMS Binding Secret Key(s)", O, false, "", NULL},
    {9, "LwM2M Server SMS Number", S, false, "", NULL},
    {10, "Short Server ID", I, false, "", NULL},
    {11, "Client Hold Off Time", I, false, "", NULL},
    {12, "Bootstrap-Server Account Timeout", I, false, "", NULL},
    {13, "Matching Type", I, false, "", NULL},
    {14, "SNI", S, false, "", NULL},
    {15, "Certificate Usage", I, false, "", NULL},
    {16, "DTLS/TLS Ciphersuite", I, true, "", NULL},
    {17, "OSCORE Security Mode", L, false, "", NULL},
};

/* 1 LwM2M Server (1.1) */
static const zl_res_model_t r_server[] = {
    {0, "Short Server ID", I, false, "R", NULL},
    {1, "Lifetime", I, false, "RW", "s"},
    {2, "Default Minimum Period", I, false, "RW", "s"},
    {3, "Default Maximum Period", I, false, "RW", "s"},
    {4, "Disable", X, false, "E", NULL},
    {5, "Disable Timeout", I, false, "RW", "s"},
    {6, "Notification Storing When Disabled or Offline", B, false, "RW", NULL},
    {7, "Binding", S, false, "RW", NULL},
    {8, "Registration Update Trigger", X, false, "E", NULL},
    {9, "Bootstrap-Request Trigger", X, false, "E", NULL},
    {10, "APN Link", L, false, "RW", NULL},
    {11, "TLS-DTLS Alert Code", I, false, "R", NULL},
    {12, "Last Bootstrapped", T, false, "R", NULL},
    {13, "Registration Priority Order", I, false, "RW", NULL},
    {14, "Initial Registration Delay Timer", I, false, "RW", NULL},
    {15, "Registration Failure Block", B, false, "RW", NULL},
    {16, "Bootstrap on Registration Failure", B, false, "RW", NULL},
    {17, "Communication Retry Count", I, false, "RW", NULL},
    {18, "Communication Retry Timer", I, false, "RW", NULL},
    {19, "Communication Sequence Delay Timer", I, false, "RW", NULL},
    {20, "Communication Sequence Retry Count", I, false, "RW", NULL},
    {21, "Trigger", B, false, "RW", NULL},
    {22, "Preferred Transport", S, false, "RW", NULL},
    {23, "Mute Send", B, false, "RW", NULL},
};

/* 2 LwM2M Access Control */
static const zl_res_model_t r_acl[] = {
    {0, "Object ID", I, false, "R", NULL},
    {1, "Object Instance ID", I, false, "R", NULL},
    {2, "ACL", I, true, "RW", NULL},
    {3, "Access Control Owner", I, false, "RW", NULL},
};

/* 3 Device */
static const zl_res_model_t r_device[] = {
    {0, "Manufacturer", S, false, "R", NULL},
    {1, "Model Number", S, false, "R", NULL},
    {2, "Serial Number", S, false, "R", NULL},
    {3, "Firmware Version", S, false, "R", NULL},
    {4, "Reboot", X, false, "E", NULL},
    {5, "Factory Reset", X, false, "E", NULL},
    {6, "Available Power Sources", I, true, "R", NULL},
    {7, "Power Source Voltage", I, true, "R", "mV"},
    {8, "Power Source Current", I, true, "R", "mA"},
    {9, "Battery Level", I, false, "R", "%"},
    {10, "Memory Free", I, false, "R", "KB"},
    {11, "Error Code", I, true, "R", NULL},
    {12, "Reset Error Code", X, false, "E", NULL},
    {13, "Current Time", T, false, "RW", NULL},
    {14, "UTC Offset", S, false, "RW", NULL},
    {15, "Timezone", S, false, "RW", NULL},
    {16, "Supported Binding and Modes", S, false, "R", NULL},
    {17, "Device Type", S, false, "R", NULL},
    {18, "Hardware Version", S, false, "R", NULL},
    {19, "Software Version", S, false, "R", NULL},
    {20, "Battery Status", I, false, "R", NULL},
    {21, "Memory Total", I, false, "R", "KB"},
    {22, "ExtDevInfo", L, true, "R", NULL},
};

/* 4 Connectivity Monitoring */
static const zl_res_model_t r_connmon[] = {
    {0, "Network Bearer", I, false, "R", NULL},
    {1, "Available Network Bearer", I, true, "R", NULL},
    {2, "Radio Signal Strength", I, false, "R", NULL},
    {3, "Link Quality", I, false, "R", NULL},
    {4, "IP Addresses", S, true, "R", NULL},
    {5, "Router IP Addresses", S, true, "R", NULL},
    {6, "Link Utilization", I, false, "R", NULL},
    {7, "APN", S, true, "R", NULL},
    {8, "Cell ID", I, false, "R", NULL},
    {9, "SMNC", I, false, "R", NULL},
    {10, "SMCC", I, false, "R", NULL},
    {11, "SignalSNR", I, false, "R", NULL},
    {12, "LAC", I, false, "R", NULL},
    {13, "Coverage Enhancement Level", I, false, "R", NULL},
};

/* 5 Firmware Update */
static const zl_res_model_t r_fwupdate[] = {
    {0, "Package", O, false, "W", NULL},
    {1, "Package URI", S, false, "RW", NULL},
    {2, "Update", X, false, "E", NULL},
    {3, "State", I, false, "R", NULL},
    {4, "Update Supported Objects", B, false, "RW", NULL}, /* LwM2M 1.0 */
    {5, "Update Result", I, false, "R", NULL},
    {6, "PkgName", S, false, "R", NULL},
    {7, "PkgVersion", S, false, "R", NULL},
    {8, "Firmware Update Protocol Support", I, true, "R", NULL},
    {9, "Firmware Update Delivery Method", I, false, "R", NULL},
};

/* 6 Location */
static const zl_res_model_t r_location[] = {
    {0, "Latitude", F, false, "R", NULL},
    {1, "Longitude", F, false, "R", NULL},
    {2, "Altitude", F, false, "R", NULL},
    {3, "Radius", F, false, "R", NULL},
    {4, "Velocity", O, false, "R", NULL},
    {5, "Timestamp", T, false, "R", NULL},
    {6, "Speed", F, false, "R", NULL},
};

/* 7 Connectivity Statistics */
static const zl_res_model_t r_connstat[] = {
    {0, "SMS Tx Counter", I, false, "R", NULL},
    {1, "SMS Rx Counter", I, false, "R", NULL},
    {2, "Tx Data", I, false, "R", NULL},
    {3, "Rx Data", I, false, "R", NULL},
    {4, "Max Message Size", I, false, "R", NULL},
    {5, "Average Message Size", I, false, "R", NULL},
    {6, "Start", X, false, "E", NULL},
    {7, "Stop", X, false, "E", NULL},
    {8, "Collection Period", I, false, "RW", NULL},
};

/* IPSO Smart Objects 3300-3350 as the OMA LwM2M registry publishes them, in
 * the latest version of each: 1.1, which adds resources to 1.0 (Application
 * Type where it lacked, Timestamp, Fractional Timestamp and, for measuring
 * objects, the measurement quality pair), so a 1.0 device's values are typed
 * too; 1.0 for 3311, 3339-3341 and 3343-3345, which have no later version.
 * Most resources are IPSO reusable resources with the same name, type and
 * operations in every object; they are spelled once here. */
#define IPSO_DIN_STATE {5500, "Digital Input State", B, false, "R", NULL}
#define IPSO_DIN_COUNTER {5501, "Digital Input Counter", I, false, "R", NULL}
#define IPSO_TIMESTAMP {5518, "Timestamp", T, false, "R", NULL}
#define IPSO_DELAY_DURATION {5521, "Delay Duration", F, false, "RW", NULL}
#define IPSO_TRIGGER {5523, "Trigger", X, false, "E", NULL}
#define IPSO_MIN_OFF_TIME {5525, "Minimum Off-time", F, false, "RW", NULL}
#define IPSO_REMAINING_TIME {5538, "Remaining Time", F, false, "R", NULL}
#define IPSO_CUMULATIVE_TIME {5544, "Cumulative Time", F, false, "RW", NULL}
#define IPSO_LEVEL {5548, "Level", F, false, "RW", NULL}
#define IPSO_MIN_MEAS {5601, "Min Measured Value", F, false, "R", NULL}
#define IPSO_MAX_MEAS {5602, "Max Measured Value", F, false, "R", NULL}
#define IPSO_MIN_RANGE {5603, "Min Range Value", F, false, "R", NULL}
#define IPSO_MAX_RANGE {5604, "Max Range Value", F, false, "R", NULL}
#define IPSO_RESET_MINMAX {5605, "Reset Min and Max Measured Values", X, false, "E", NULL}
#define IPSO_VALUE {5700, "Sensor Value", F, false, "R", NULL}
#define IPSO_UNITS {5701, "Sensor Units", S, false, "R", NULL}
#define IPSO_X_VALUE {5702, "X Value", F, false, "R", NULL}
#define IPSO_Y_VALUE {5703, "Y Value", F, false, "R", NULL}
#define IPSO_Z_VALUE {5704, "Z Value", F, false, "R", NULL}
#define IPSO_COMPASS {5705, "Compass Direction", F, false, "R", NULL}
#define IPSO_COLOUR {5706, "Colour", S, false, "RW", NULL}
#define IPSO_APP_TYPE {5750, "Application Type", S, false, "RW", NULL}
#define IPSO_SENSOR_TYPE {5751, "Sensor Type", S, false, "R", NULL}
#define IPSO_CUMUL_ACTIVE_POWER {5805, "Cumulative active power", F, false, "R", NULL}
#define IPSO_POWER_FACTOR {5820, "Power factor", F, false, "R", NULL}
#define IPSO_CALIB {5821, "Current Calibration", F, false, "RW", NULL}
#define IPSO_RESET_CUMUL_ENERGY {5822, "Reset Cumulative energy", X, false, "E", NULL}
#define IPSO_ON_OFF {5850, "On/Off", B, false, "RW", NULL}
#define IPSO_DIMMER {5851, "Dimmer", I, false, "RW", NULL}
#define IPSO_ON_TIME {5852, "On time", I, false, "RW", NULL}
#define IPSO_OFF_TIME {5854, "Off Time", I, false, "RW", NULL}
#define IPSO_QUALITY_IND {6042, "Measurement Quality Indicator", I, false, "R", NULL}
#define IPSO_QUALITY_LVL {6049, "Measurement Quality Level", I, false, "R", NULL}
#define IPSO_FRAC_TIMESTAMP {6050, "Fractional Timestamp", F, false, "R", NULL}
/* The 1.1 tail of a measuring object, in id order: */
#define IPSO_QUALITY IPSO_QUALITY_IND, IPSO_QUALITY_LVL, IPSO_FRAC_TIMESTAMP
/* Timestamp, min/max, the value and its units (every table below is sorted by
 * id: the lookup is a binary search). */
#define IPSO_STD_SENSOR IPSO_TIMESTAMP, IPSO_MIN_MEAS, IPSO_MAX_MEAS, IPSO_MIN_RANGE, IPSO_MAX_RANGE, \
    IPSO_RESET_MINMAX, IPSO_VALUE, IPSO_UNITS

/* 3300 Generic Sensor */
static const zl_res_model_t r_generic[] = {IPSO_STD_SENSOR, IPSO_APP_TYPE, IPSO_SENSOR_TYPE, IPSO_QUALITY};
/* 3301 Illuminance, 3303 Temperature, 3304 Humidity, 3315 Barometer */
static const zl_res_model_t r_sensor[] = {IPSO_STD_SENSOR, IPSO_APP_TYPE, IPSO_QUALITY};
/* 3316 Voltage, 3317 Current, 3318 Frequency, 3319 Depth, 3320 Percentage,
 * 3321 Altitude, 3322 Load, 3323 Pressure, 3324 Loudness, 3325 Concentration,
 * 3326 Acidity, 3327 Conductivity, 3328 Power, 3329 Power Factor,
 * 3330 Distance, 3346 Rate */
static const zl_res_model_t r_sensor_cal[] = {IPSO_STD_SENSOR, IPSO_APP_TYPE, IPSO_CALIB, IPSO_QUALITY};

/* 3302 Presence */
static const zl_res_model_t r_presence[] = {
    IPSO_DIN_STATE,
    IPSO_DIN_COUNTER,
    {5505, "Digital Input Counter Reset", X, false, "E", NULL},
    IPSO_TIMESTAMP,
    IPSO_APP_TYPE,
    IPSO_SENSOR_TYPE,
    {5903, "Busy to Clear delay", I, false, "RW", NULL},
    {5904, "Clear to Busy delay", I, false, "RW", NULL},
    IPSO_QUALITY,
};

/* 3305 Power Measurement */
static const zl_res_model_t r_power_meas[] = {
    IPSO_TIMESTAMP,
    IPSO_RESET_MINMAX,
    IPSO_APP_TYPE,
    {5800, "Instantaneous active power", F, false, "R", NULL},
    {5801, "Min Measured active power", F, false, "R", NULL},
    {5802, "Max Measured active power", F, false, "R", NULL},
    {5803, "Min Range active power", F, false, "R", NULL},
    {5804, "Max Range active power", F, false, "R", NULL},
    IPSO_CUMUL_ACTIVE_POWER,
    {5806, "Active Power Calibration", F, false, "W", NULL},
    {5810, "Instantaneous reactive power", F, false, "R", NULL},
    {5811, "Min Measured reactive power", F, false, "R", NULL},
    {5812, "Max Measured reactive power", F, false, "R", NULL},
    {5813, "Min Range reactive power", F, false, "R", NULL},
    {5814, "Max Range reactive power", F, false, "R", NULL},
    {5815, "Cumulative reactive power", F, false, "R", NULL},
    {5816, "Reactive Power Calibration", F, false, "W", NULL},
    IPSO_POWER_FACTOR,
    IPSO_CALIB,
    IPSO_RESET_CUMUL_ENERGY,
    IPSO_QUALITY,
};

/* 3306 Actuation */
static const zl_res_model_t r_actuation[] = {
    IPSO_TIMESTAMP,
    IPSO_APP_TYPE,
    IPSO_ON_OFF,
    IPSO_DIMMER,
    IPSO_ON_TIME,
    {5853, "Multi-state Output", S, false, "RW", NULL}, /* the registry spells it "Muti-state Output" */
    IPSO_FRAC_TIMESTAMP,
};

/* 3308 Set Point */
static const zl_res_model_t r_setpoint[] = {
    IPSO_TIMESTAMP,
    IPSO_UNITS,
    IPSO_COLOUR,
    IPSO_APP_TYPE,
    {5900, "Set Point Value", F, false, "RW", NULL},
    IPSO_FRAC_TIMESTAMP,
};

/* 3310 Load Control */
static const zl_res_model_t r_loadctl[] = {
    IPSO_TIMESTAMP,
    IPSO_APP_TYPE,
    {5823, "Event Identifier", S, false, "RW", NULL},
    {5824, "Start Time", T, false, "RW", NULL},
    {5825, "Duration In Min", I, false, "RW", NULL},
    {5826, "Criticality Level", I, false, "RW", NULL},
    {5827, "Avg Load AdjPct", I, false, "RW", NULL},
    {5828, "Duty Cycle", I, false, "RW", NULL},
    IPSO_FRAC_TIMESTAMP,
};

/* 3311 Light Control (1.0) */
static const zl_res_model_t r_light[] = {
    IPSO_UNITS,
    IPSO_COLOUR,
    IPSO_APP_TYPE,
    IPSO_CUMUL_ACTIVE_POWER,
    IPSO_POWER_FACTOR,
    IPSO_ON_OFF,
    IPSO_DIMMER,
    IPSO_ON_TIME,
};

/* 3312 Power Control */
static const zl_res_model_t r_powerctl[] = {
    IPSO_TIMESTAMP,
    IPSO_APP_TYPE,
    IPSO_CUMUL_ACTIVE_POWER,
    IPSO_POWER_FACTOR,
    IPSO_ON_OFF,
    IPSO_DIMMER,
    IPSO_ON_TIME,
    IPSO_FRAC_TIMESTAMP,
};

/* 3313 Accelerometer */
static const zl_res_model_t r_accel[] = {
    IPSO_TIMESTAMP,
    IPSO_MIN_RANGE,
    IPSO_MAX_RANGE,
    IPSO_UNITS,
    IPSO_X_VALUE,
    IPSO_Y_VALUE,
    IPSO_Z_VALUE,
    IPSO_APP_TYPE,
    IPSO_QUALITY,
};

/* 3314 Magnetometer */
static const zl_res_model_t r_magnet[] = {
    IPSO_TIMESTAMP,
    IPSO_UNITS,
    IPSO_X_VALUE,
    IPSO_Y_VALUE,
    IPSO_Z_VALUE,
    IPSO_COMPASS,
    IPSO_APP_TYPE,
    IPSO_QUALITY,
};

/* 3331 Energy */
static const zl_res_model_t r_energy[] = {
    IPSO_TIMESTAMP,
    IPSO_VALUE,
    IPSO_UNITS,
    IPSO_APP_TYPE,
    IPSO_RESET_CUMUL_ENERGY,
    IPSO_QUALITY,
};

/* 3332 Direction */
static const zl_res_model_t r_direction[] = {
    IPSO_TIMESTAMP,
    IPSO_MIN_MEAS,
    IPSO_MAX_MEAS,
    IPSO_RESET_MINMAX,
    IPSO_COMPASS,
    IPSO_APP_TYPE,
    IPSO_QUALITY,
};

/* 3333 Time (its own time resources, no Timestamp) */
static const zl_res_model_t r_time[] = {
    {5506, "Current Time", T, false, "RW", NULL},
    {5507, "Fractional Time", F, false, "RW", NULL},
    IPSO_APP_TYPE,
    IPSO_QUALITY_IND,
    IPSO_QUALITY_LVL,
};

/* 3334 Gyrometer */
static const zl_res_model_t r_gyro[] = {
    {5508, "Min X Value", F, false, "R", NULL},
    {5509, "Max X Value", F, false, "R", NULL},
    {5510, "Min Y Value", F, false, "R", NULL},
    {5511, "Max Y Value", F, false, "R", NULL},
    {5512, "Min Z Value", F, false, "R", NULL},
    {5513, "Max Z Value", F, false, "R", NULL},
    IPSO_TIMESTAMP,
    IPSO_MIN_RANGE,
    IPSO_MAX_RANGE,
    IPSO_RESET_MINMAX,
    IPSO_UNITS,
    IPSO_X_VALUE,
    IPSO_Y_VALUE,
    IPSO_Z_VALUE,
    IPSO_APP_TYPE,
    IPSO_QUALITY,
};

/* 3335 Colour */
static const zl_res_model_t r_colour[] = {
    IPSO_TIMESTAMP, IPSO_UNITS, IPSO_COLOUR, IPSO_APP_TYPE, IPSO_QUALITY,
};

/* 3336 Location (IPSO; latitude and longitude are decimal strings) */
static const zl_res_model_t r_ipso_location[] = {
    {5514, "Latitude", S, false, "R", NULL},
    {5515, "Longitude", S, false, "R", NULL},
    {5516, "Uncertainty", S, false, "R", NULL},
    {5517, "Velocity", O, false, "R", NULL},
    IPSO_TIMESTAMP,
    IPSO_COMPASS,
    IPSO_APP_TYPE,
    IPSO_QUALITY,
};

/* 3337 Positioner */
static const zl_res_model_t r_positioner[] = {
    IPSO_TIMESTAMP,
    {5519, "Min Limit", F, false, "R", NULL},
    {5520, "Max Limit", F, false, "R", NULL},
    {5536, "Current Position", F, false, "RW", NULL},
    {5537, "Transition Time", F, false, "RW", NULL},
    IPSO_REMAINING_TIME,
    IPSO_MIN_MEAS,
    IPSO_MAX_MEAS,
    IPSO_RESET_MINMAX,
    IPSO_APP_TYPE,
    IPSO_QUALITY,
};

/* 3338 Buzzer */
static const zl_res_model_t r_buzzer[] = {
    IPSO_TIMESTAMP,
    IPSO_DELAY_DURATION,
    IPSO_MIN_OFF_TIME,
    IPSO_LEVEL,
    IPSO_APP_TYPE,
    IPSO_ON_OFF,
    IPSO_FRAC_TIMESTAMP,
};

/* 3339 Audio Clip (1.0) */
static const zl_res_model_t r_audio[] = {
    {5522, "Clip", O, false, "RW", NULL},
    IPSO_TRIGGER,
    {5524, "Duration", F, false, "RW", NULL},
    IPSO_LEVEL,
    IPSO_APP_TYPE,
};

/* 3340 Timer (1.0) */
static const zl_res_model_t r_timer[] = {
    IPSO_DIN_COUNTER,
    IPSO_DELAY_DURATION,
    IPSO_TRIGGER,
    IPSO_MIN_OFF_TIME,
    {5526, "Timer Mode", I, false, "RW", NULL},
    {5534, "Counter", I, false, "RW", NULL},
    IPSO_REMAINING_TIME,
    {5543, "Digital State", B, false, "R", NULL},
    IPSO_CUMULATIVE_TIME,
    IPSO_APP_TYPE,
    IPSO_ON_OFF,
};

/* 3341 Addressable Text Display (1.0) */
static const zl_res_model_t r_textdisp[] = {
    {5527, "Text", S, false, "RW", NULL},
    {5528, "X Coordinate", I, false, "RW", NULL},
    {5529, "Y Coordinate", I, false, "RW", NULL},
    {5530, "Clear Display", X, false, "E", NULL},
    {5531, "Contrast", F, false, "RW", NULL},
    {5545, "Max X Coordinate", I, false, "R", NULL},
    {5546, "Max Y Coordinate", I, false, "R", NULL},
    IPSO_LEVEL,
    IPSO_APP_TYPE,
};

/* 3342 On/Off switch */
static const zl_res_model_t r_onoff[] = {
    IPSO_DIN_STATE,
    IPSO_DIN_COUNTER,
    IPSO_TIMESTAMP,
    IPSO_APP_TYPE,
    IPSO_ON_TIME,
    IPSO_OFF_TIME,
    IPSO_FRAC_TIMESTAMP,
};

/* 3343 Dimmer (1.0) */
static const zl_res_model_t r_dimmer[] = {IPSO_LEVEL, IPSO_APP_TYPE, IPSO_ON_TIME, IPSO_OFF_TIME};

/* 3344 Up/Down Control (1.0) */
static const zl_res_model_t r_updown[] = {
    {5532, "Increase Input State", B, false, "R", NULL},
    {5533, "Decrease Input State", B, false, "R", NULL},
    {5541, "Up Counter", I, false, "RW", NULL},
    {5542, "Down Counter", I, false, "RW", NULL},
    IPSO_APP_TYPE,
};

/* 3345 Multiple Axis Joystick (1.0) */
static const zl_res_model_t r_joystick[] = {
    IPSO_DIN_STATE, IPSO_DIN_COUNTER, IPSO_X_VALUE, IPSO_Y_VALUE, IPSO_Z_VALUE, IPSO_APP_TYPE,
};

/* 3347 Push button */
static const zl_res_model_t r_button[] = {
    IPSO_DIN_STATE, IPSO_DIN_COUNTER, IPSO_TIMESTAMP, IPSO_APP_TYPE, IPSO_FRAC_TIMESTAMP,
};

/* 3348 Multi-state Selector */
static const zl_res_model_t r_selector[] = {
    IPSO_TIMESTAMP,
    {5547, "Multi-state Input", I, false, "R", NULL},
    IPSO_APP_TYPE,
    IPSO_FRAC_TIMESTAMP,
};

/* 3349 Bitmap */
static const zl_res_model_t r_bitmap[] = {
    IPSO_TIMESTAMP,
    IPSO_APP_TYPE,
    {5910, "Bitmap Input", I, false, "R", NULL},
    {5911, "Bitmap Input Reset", X, false, "E", NULL},
    {5912, "Element Description", S, true, "RW", NULL},
    IPSO_FRAC_TIMESTAMP,
};

/* 3350 Stopwatch */
static const zl_res_model_t r_stopwatch[] = {
    IPSO_DIN_COUNTER,
    IPSO_TIMESTAMP,
    IPSO_CUMULATIVE_TIME,
    IPSO_APP_TYPE,
    IPSO_ON_OFF,
    IPSO_QUALITY,
};

/* 26241 Modbus (seed's custom object) */
static const zl_res_model_t r_modbus[] = {
    {26251, "Holding Register", I, false, "RW", NULL},
    {26252, "Input Register", I, false, "R", NULL},
    {26253, "Coil", B, false, "RW", NULL},
    {26254, "Discrete Input", B, false, "R", NULL},
    {26255, "Holding Registers", I, true, "RW", NULL},
    {26256, "Input Registers", I, true, "R", NULL},
    {26257, "Coils", B, true, "RW", NULL},
    {26258, "Discrete Inputs", B, true, "R", NULL},
};

#define OBJ(id, name, multi, r) {id, name, multi, r, N(r)}
/* Sorted by id (binary search). */
static const zl_obj_model_t objects[] = {
    OBJ(0, "LWM2M Security", true, r_security),
    OBJ(1, "LwM2M Server", true, r_server),
    OBJ(2, "LwM2M Access Control", true, r_acl),
    OBJ(3, "Device", false, r_device),
    OBJ(4, "Connectivity Monitoring", false, r_connmon),
    OBJ(5, "Firmware Update", false, r_fwupdate),
    OBJ(6, "Location", false, r_location),
    OBJ(7, "Connectivity Statistics", false, r_connstat),
    OBJ(3300, "Generic Sensor", true, r_generic),
    OBJ(3301, "Illuminance", true, r_sensor),
    OBJ(3302, "Presence", true, r_presence),
    OBJ(3303, "Temperature", true, r_sensor),
    OBJ(3304, "Humidity", true, r_sensor),
    OBJ(3305, "Power Measurement", true, r_power_meas),
    OBJ(3306, "Actuation", true, r_actuation),
    OBJ(3308, "Set Point", true, r_setpoint),
    OBJ(3310, "Load Control", true, r_loadctl),
    OBJ(3311, "Light Control", true, r_light),
    OBJ(3312, "Power Control", true, r_powerctl),
    OBJ(3313, "Accelerometer", true, r_accel),
    OBJ(3314, "Magnetometer", true, r_magnet),
    OBJ(3315, "Barometer", true, r_sensor),
    OBJ(3316, "Voltage", true, r_sensor_cal),
    OBJ(3317, "Current", true, r_sensor_cal),
    OBJ(3318, "Frequency", true, r_sensor_cal),
    OBJ(3319, "Depth", true, r_sensor_cal),
    OBJ(3320, "Percentage", true, r_sensor_cal),
    OBJ(3321, "Altitude", true, r_sensor_cal),
    OBJ(3322, "Load", true, r_sensor_cal),
    OBJ(3323, "Pressure", true, r_sensor_cal),
    OBJ(3324, "Loudness", true, r_sensor_cal),
    OBJ(3325, "Concentration", true, r_sensor_cal),
    OBJ(3326, "Acidity", true, r_sensor_cal),
    OBJ(3327, "Conductivity", true, r_sensor_cal),
    OBJ(3328, "Power", true, r_sensor_cal),
    OBJ(3329, "Power Factor", true, r_sensor_cal),
    OBJ(3330, "Distance", true, r_sensor_cal),
    OBJ(3331, "Energy", true, r_energy),
    OBJ(3332, "Direction", true, r_direction),
    OBJ(3333, "Time", true, r_time),
    OBJ(3334, "Gyrometer", true, r_gyro),
    OBJ(3335, "Colour", true, r_colour),
    OBJ(3336, "Location", true, r_ipso_location),
    OBJ(3337, "Positioner", true, r_positioner),
    OBJ(3338, "Buzzer", true, r_buzzer),
    OBJ(3339, "Audio Clip", true, r_audio),
    OBJ(3340, "Timer", true, r_timer),
    OBJ(3341, "Addressable Text Display", true, r_textdisp),
    OBJ(3342, "On/Off switch", true, r_onoff),
    OBJ(3343, "Dimmer", true, r_dimmer),
    OBJ(3344, "Up/Down Control", true, r_updown),
    OBJ(3345, "Multiple Axis Joystick", true, r_joystick),
    OBJ(3346, "Rate", true, r_sensor_cal),
    OBJ(3347, "Push button", true, r_button),
    OBJ(3348, "Multi-state Selector", true, r_selector),
    OBJ(3349, "Bitmap", true, r_bitmap),
    OBJ(3350, "Stopwatch", true, r_stopwatch),
    OBJ(26241, "Modbus", true, r_modbus),
};

const zl_obj_model_t *zl_model_builtin(size_t i) { return i < N(objects) ? &objects[i] : NULL; }

const zl_obj_model_t *zl_model_object(uint16_t oid) {
    size_t lo = 0, hi = N(objects);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (objects[mid].id == oid) return &objects[mid];
        if (objects[mid].id < oid) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const zl_res_model_t *zl_model_resource(uint16_t oid, uint16_t rid) {
    return zl_obj_model_resource(zl_model_object(oid), rid);
}
