'use strict';
/**
 * Netatmo's scope lists as its documentation gives them, written out for the tests that check the
 * catalogue and the client against them (a test does not import the constant it checks), and for the
 * simulator, which stands in for Netatmo.
 */
const HOME_READ = [
  'read_station',
  'read_thermostat',
  'read_camera',
  'read_presence',
  'read_doorbell',
  'read_smokedetector',
  'read_carbonmonoxidedetector',
  'read_homecoach',
  'read_magellan',
  'read_bubendorff',
  'read_mx',
  'read_smarther',
  'read_bfi',
  'read_mhs1',
];

const HOME_WRITE = [
  'write_thermostat',
  'write_camera',
  'write_presence',
  'write_magellan',
  'write_bubendorff',
  'write_mx',
  'write_smarther',
  'write_bfi',
  'write_mhs1',
];

module.exports = { HOME_READ, HOME_WRITE };
