/**
 * What `perfwatch profile` preloads into the program it runs (`node --import`): the environment
 * it sets (`PERFWATCH_PROFILE`, `PERFWATCH_PROFILE_JSON`) does the rest.
 */
import './from-environment.js'
